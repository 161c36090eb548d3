"""Certificates (Giấy chứng nhận) for a locked round's award winners, and for every participant
where the contest gives those, each with a public verification page.

- ``models``:   the ``certificates`` table: one per person per locked round, with its code
- ``layout``:   the PDF of one certificate (A4 landscape, the contest's letterhead, a QR code)
- ``services``: who gets one, issuing codes, the verification facts, the judges' ZIP, erasure
- ``routes``:   the ``certificates`` blueprint: verification and a winner's own download
"""
