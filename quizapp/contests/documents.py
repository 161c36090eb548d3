"""Who issues a contest's documents, and how a Vietnamese official document is headed.

The printed round summary (judging/summary.py) and the certificates (judging/certificates) are
documents a department signs and stamps. They are laid out as Vietnamese administrative
documents are (Decree 30/2020/NĐ-CP on document formats; the Party's Guidance 36-HD/VPTW for
Party bodies): the issuing body at the top left, under the body above it; at the top right the
national heading: Quốc hiệu and Tiêu ngữ for a state body or mass organisation, "ĐẢNG CỘNG SẢN
VIỆT NAM" for a Party body such as a provincial propaganda department (Ban Tuyên giáo); the
place and date ("Nam Định, ngày 07 tháng 12 năm 2026"); and the signature blocks, each with the
capacity in which it is signed ("T/M BAN TỔ CHỨC", "KT. TRƯỞNG BAN") above the signer's title.

A contest keeps these settings (``Contest.organising_body`` and the rest, DESIGN §7: the
organising body defaults to the installation's configured controller, ``PRIVACY_CONTROLLER``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app

from quizapp.contests.models import Contest

HEADINGS = {
    "state": ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"),
    "party": ("ĐẢNG CỘNG SẢN VIỆT NAM",),
}
HEADING_LABELS = {
    "state": "Quốc hiệu và Tiêu ngữ (cơ quan nhà nước, tổ chức chính trị - xã hội)",
    "party": "ĐẢNG CỘNG SẢN VIỆT NAM (cơ quan của Đảng)",
}
MAX_SIGNERS = 3


@dataclass(frozen=True)
class Signer:
    title: str  # the signer's post, e.g. "TRƯỞNG BAN"
    name: str
    on_behalf: str | None = None  # the capacity line above it, e.g. "T/M BAN TỔ CHỨC"


@dataclass(frozen=True)
class Letterhead:
    """What heads and closes a contest's documents."""

    organising_body: str
    parent_body: str | None
    heading: tuple[str, ...]
    place: str | None
    signers: tuple[Signer, ...]

    def place_and_date(self, day: date) -> str:
        """The line under the national heading: "Nam Định, ngày 07 tháng 12 năm 2026"."""
        dated = date_in_words(day)
        return f"{self.place}, {dated}" if self.place else dated[0].upper() + dated[1:]


def letterhead(contest: Contest) -> Letterhead:
    """The contest's document settings, with the installation's defaults where it has none."""
    return Letterhead(
        organising_body=contest.organising_body or str(current_app.config["PRIVACY_CONTROLLER"]),
        parent_body=contest.parent_body,
        heading=HEADINGS.get(contest.document_heading, HEADINGS["state"]),
        place=contest.document_place,
        signers=tuple(Signer(title=item["title"], name=item["name"], on_behalf=item.get("on_behalf"))
                      for item in contest.signers or []),
    )


def date_in_words(day: date) -> str:
    """"ngày 07 tháng 12 năm 2026": as Decree 30/2020 writes dates, a day below 10 and the months
    January and February with a leading zero ("ngày 05 tháng 02"), so nobody can add a digit."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"
