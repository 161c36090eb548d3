"""Who gets a certificate, issuing codes, what the verification page shows, the judges' ZIP.

A locked round's certificates come from its snapshot (judging/models.py ``RoundResult``): a row
with an award gets an award certificate; where the contest certifies participants
(``Contest.certificate_participants``), every other row a participation one. A person erased
before the certificate was made gets none. Codes are 12 characters of an alphabet without the
look-alikes 0/O and 1/I/L (60 random bits: no guessing a neighbour's), printed in groups of
four. Services never commit.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, request
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from quizapp import audit
from quizapp.auth.models import User
from quizapp.clock import utcnow
from quizapp.contests.documents import letterhead
from quizapp.contests.models import Attempt, AttemptPlace, Contest, Round
from quizapp.errors import DomainError
from quizapp.extensions import db
from quizapp.formatting import number
from quizapp.judging.awards import ATTEMPT_COLUMN, AWARD_COLUMN
from quizapp.judging.certificates.layout import Sheet, render
from quizapp.judging.certificates.models import AWARD, PARTICIPATION, Certificate
from quizapp.judging.locking import NAME_COLUMN, PHONE_COLUMN, UNIT_COLUMN
from quizapp.judging.models import RoundResult, locked_result, locked_summary
from quizapp.phone import mask_phone
from quizapp.text import fold

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12
DEFAULT_TITLE = "GIẤY CHỨNG NHẬN"
RANK_COLUMN = 0
# The verification page's path (routes.py ``verify``): built by hand so a background worker,
# which has no request, prints the same address (a test holds the two together).
VERIFY_PATH = "/certificates/{code}"
CHUNK = 1000


class PublicUrlMissing(DomainError):
    status, code = 409, "public_url_missing"
    message = ("Chưa cấu hình địa chỉ công khai của trang: quản trị viên cần đặt QUIZAPP_PUBLIC_URL "
               "(ví dụ https://thi.example.vn) để in mã QR tra cứu trên giấy chứng nhận.")


class NotLocked(DomainError):
    status, code = 409, "round_not_locked"
    message = "Giấy chứng nhận chỉ được cấp khi kết quả vòng thi đã khóa."


@dataclass(frozen=True)
class Recipient:
    """One row of a locked snapshot that gets a certificate."""

    attempt_id: int
    user_id: int
    rank: int | None
    name: str
    phone: str
    unit: str
    award: str


@dataclass(frozen=True)
class Verified:
    """What the public verification page shows of a certificate."""

    certificate: Certificate
    round: Round
    contest: Contest
    result: RoundResult
    issuer: str
    dated: str  # the date printed on it
    revoked_on: str | None


def printed_code(code: str) -> str:
    """``K7QM3XNA8PDE`` as printed and read aloud: ``K7QM-3XNA-8PDE``."""
    return "-".join(code[index:index + 4] for index in range(0, len(code), 4))


def normalise_code(text: str) -> str | None:
    """A code as typed or scanned (any case, with dashes or spaces), or None if it cannot be one."""
    code = re.sub(r"[\s-]", "", text or "").upper()
    if len(code) != CODE_LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def verification_base() -> str:
    """The site's address printed before the verification path: the configured public URL (a
    request's Host header is whatever the client sent, and a certificate outlives it); outside
    production, without one, the request's own address will do to try things out."""
    base = current_app.config.get("PUBLIC_URL")
    if not base and has_request_context() and current_app.config.get("ENV") != "production":
        base = request.host_url.rstrip("/")
    if not base:
        raise PublicUrlMissing()
    return base


def verification_url(code: str, base: str) -> str:
    """The absolute address printed and encoded in the QR code."""
    return base + VERIFY_PATH.format(code=code)


def certifies_participants(contest: Contest) -> bool:
    return bool(contest.certificate_participants)


class TooManyForZip(DomainError):
    status, code = 409, "certificates_zip_too_large"

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"Vòng thi có {number(count)} giấy chứng nhận đạt giải, quá {number(limit)} giấy cho một "
                         "tệp ZIP (tệp sẽ quá lớn để lưu và tải). Mỗi người đạt giải vẫn tự tải giấy của mình ở "
                         "trang “Kết quả của tôi”; cần một tệp chung thì quản trị viên nâng giới hạn "
                         "CERTIFICATES_ZIP_MAX.")


def recipients(round_: Round, result: RoundResult, *, awards_only: bool = False) -> Iterator[Recipient]:
    """The snapshot's rows that get a certificate, in ranking order: the award winners, and
    everyone else too where the contest certifies participants (unless ``awards_only``: the
    judges' ZIP); never an erased person."""
    everyone = certifies_participants(round_.contest) and not awards_only
    whose = (Attempt.round_id == round_.id, User.erased_at.is_(None))
    owners = dict(db.session.execute(
        select(Attempt.id, Attempt.user_id).join(User, User.id == Attempt.user_id).where(*whose)).tuples().all())
    for cells in result.snapshot_rows():
        if not (cells[AWARD_COLUMN] or everyone) or not cells[ATTEMPT_COLUMN].isdigit():
            continue
        owner = owners.get(int(cells[ATTEMPT_COLUMN]))
        if owner is not None:
            yield _recipient(cells, owner)


def _recipient(cells: list[str], user_id: int) -> Recipient:
    return Recipient(attempt_id=int(cells[ATTEMPT_COLUMN]), user_id=user_id,
                     rank=int(cells[RANK_COLUMN]) if cells[RANK_COLUMN].isdigit() else None,
                     name=cells[NAME_COLUMN], phone=cells[PHONE_COLUMN], unit=cells[UNIT_COLUMN],
                     award=cells[AWARD_COLUMN])


def issue(round_: Round, people: Iterable[Recipient],
          settle: Callable[[], None] = lambda: None) -> Iterator[tuple[Recipient, Certificate]]:
    """Each person's certificate for the round, issued (flushed) where they have none yet, in
    chunks so a national round never holds every row at once. ``settle`` runs after each chunk's
    flush: the background job commits there, so no write transaction stays open while the job's
    progress is written on a connection of its own (SQLite has one writer)."""
    batch: list[Recipient] = []
    for person in people:
        batch.append(person)
        if len(batch) == CHUNK:
            yield from _issued(round_, batch, settle)
            batch = []
    if batch:
        yield from _issued(round_, batch, settle)


def _issued(round_: Round, batch: list[Recipient], settle: Callable[[], None]) -> list[tuple[Recipient, Certificate]]:
    # The people were read when the job began, and a job on a big round runs for minutes: someone
    # erased since then must get nothing (erasure blanks only the certificates that exist). Read
    # again in this chunk's transaction, their rows held against a concurrent erasure.
    batch = [person for person in batch if person.user_id in _not_erased([person.user_id for person in batch])]
    for last_try in (False, True):
        held = {certificate.user_id: certificate for certificate in db.session.scalars(
            select(Certificate).where(Certificate.round_id == round_.id,
                                      Certificate.user_id.in_([person.user_id for person in batch])))}
        try:
            # A winner downloading their own at this moment issues theirs too: read again, once.
            with db.session.begin_nested():
                for person in batch:
                    if person.user_id not in held:
                        held[person.user_id] = _new_certificate(round_, person)
                        db.session.add(held[person.user_id])
        except IntegrityError:
            if last_try:
                raise
            continue
        break
    settle()
    return [(person, held[person.user_id]) for person in batch]


def _not_erased(user_ids: list[int]) -> set[int]:
    return set(db.session.scalars(select(User.id).where(User.id.in_(user_ids), User.erased_at.is_(None))
                                  .with_for_update(read=True)))


def _new_certificate(round_: Round, person: Recipient) -> Certificate:
    return Certificate(
        code=new_code(), round_id=round_.id, attempt_id=person.attempt_id, user_id=person.user_id,
        kind=AWARD if person.award else PARTICIPATION, rank=person.rank, award=person.award or None,
        holder_name=person.name, holder_unit=person.unit or None,
        holder_phone=mask_phone(person.phone) if person.phone else None)


def own_certificate(round_id: int, user: User) -> Certificate | None:
    """The signed-in person's certificate for a locked round, issued now if this is its first
    download; None when the round is not locked or they get none."""
    round_ = db.session.get(Round, round_id)
    if round_ is None or user.erased_at is not None or locked_summary(round_id) is None:
        return None
    held = db.session.scalar(select(Certificate).where(Certificate.round_id == round_id,
                                                       Certificate.user_id == user.id))
    if held is not None:
        return held
    mine = _own_row(round_, user)
    if mine is None:
        return None
    try:
        # A second tab downloading at the same moment issues it too: the first one stands.
        with db.session.begin_nested():
            certificate = _new_certificate(round_, mine)
            db.session.add(certificate)
    except IntegrityError:
        certificate = db.session.scalar(select(Certificate).where(Certificate.round_id == round_id,
                                                                  Certificate.user_id == user.id))
    return certificate


def _own_row(round_: Round, user: User) -> Recipient | None:
    """The person's row of the locked snapshot, if it gets a certificate. Their place and award,
    written by the lock, say whether it does without the snapshot; only then is the snapshot read,
    from its start, a slice at a time, as far as their row (a winner's is near the top)."""
    place = db.session.execute(
        select(AttemptPlace.attempt_id, AttemptPlace.award).join(Attempt, Attempt.id == AttemptPlace.attempt_id)
        .where(AttemptPlace.round_id == round_.id, Attempt.user_id == user.id)).first()
    if place is None or not (place.award or certifies_participants(round_.contest)):
        return None
    wanted = str(place.attempt_id)
    for cells in snapshot_rows_from_start(round_.id):
        if cells[ATTEMPT_COLUMN] == wanted:
            return _recipient(cells, user.id)
    return None


SLICE = 256 * 1024


def snapshot_rows_from_start(round_id: int) -> Iterator[list[str]]:
    """A locked snapshot's rows without its header, read from the database a slice at a time
    (a substring of the stored bytes), so a reader that stops early never loads the whole of it.
    Rows end with CRLF and their cells hold no line breaks (text is cleaned before it is kept)."""
    piece = func.substr(RoundResult.canonical_csv, bindparam("start"), SLICE)
    query = select(piece).where(RoundResult.round_id == round_id)
    pending, start, header = b"", 1, True
    while True:
        chunk = db.session.scalar(query, {"start": start}) or b""
        start += len(chunk)
        pending += chunk
        complete, _, pending = pending.rpartition(b"\r\n") if len(chunk) == SLICE else (pending, b"", b"")
        for cells in csv.reader(io.StringIO(complete.decode("utf-8"))):
            if header:
                header = False
                continue
            if cells:
                yield cells
        if len(chunk) < SLICE:
            return


def sheet(certificate: Certificate, round_: Round, result: RoundResult, base_url: str) -> Sheet:
    """What the certificate prints: the contest's letterhead, the person as the snapshot holds
    them, the date of the lock (the day the results were decided: a reprint carries the same)."""
    return _sheet(round_.contest, holder_name=certificate.holder_name or "", holder_unit=certificate.holder_unit,
                  award=certificate.award if certificate.kind == AWARD else None, round_title=round_.title,
                  day=_lock_day(result, round_.contest), code=printed_code(certificate.code),
                  url=verification_url(certificate.code, base_url))


def _sheet(contest: Contest, *, holder_name: str, holder_unit: str | None, award: str | None, round_title: str,
           day: date, code: str, url: str) -> Sheet:
    head = letterhead(contest)
    signer = head.signers[0] if head.signers else None
    return Sheet(
        title=contest.certificate_title or DEFAULT_TITLE, parent_body=head.parent_body,
        organising_body=head.organising_body, heading=head.heading, holder_name=holder_name, holder_unit=holder_unit,
        achievement="Đã đạt" if award else "Đã tham gia", award=award, contest=contest_line(contest),
        round_line=f"Vòng thi: {round_title}", place_and_date=head.place_and_date(day),
        signer_capacity=signer.on_behalf if signer else None,
        signer_title=signer.title if signer else head.organising_body, signer_name=signer.name if signer else None,
        code=code, url=url, logo=contest.certificate_logo)


def contest_line(contest: Contest) -> str:
    """The contest as a certificate names it: ``Cuộc thi “Tìm hiểu …”`` unless its title says
    "Cuộc thi" already."""
    title = contest.title
    return title if fold(title).startswith("cuoc thi") else f"Cuộc thi “{title}”"


def _lock_day(result: RoundResult, contest: Contest):
    return result.locked_at.astimezone(ZoneInfo(contest.timezone)).date()


def pdf(certificate: Certificate) -> bytes:
    """The certificate's PDF, made afresh from what it keeps (a few milliseconds), in a request."""
    round_ = db.session.get(Round, certificate.round_id)
    result = locked_summary(round_.id)
    return render(sheet(certificate, round_, result, verification_base()))


def file_name(position: int, certificate: Certificate) -> str:
    """A file name any system and any unzip tool reads: no diacritics, no spaces,
    ``001-giai-nhat-nguyen-van-an.pdf``."""
    what = certificate.award if certificate.kind == AWARD else "tham gia"
    return f"{position:03d}-{_ascii(what)}-{_ascii(certificate.holder_name or '')}.pdf".replace("--", "-")


def _ascii(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:60]


def awards_to_zip(round_: Round) -> int:
    """How many award certificates a locked round's ZIP holds, from the places the lock wrote
    (no snapshot read); ``TooManyForZip`` past ``CERTIFICATES_ZIP_MAX``."""
    awarded = db.session.scalar(
        select(func.count()).select_from(AttemptPlace).join(Attempt, Attempt.id == AttemptPlace.attempt_id)
        .join(User, User.id == Attempt.user_id)
        .where(AttemptPlace.round_id == round_.id, AttemptPlace.award.is_not(None), User.erased_at.is_(None)))
    limit = int(current_app.config["CERTIFICATES_ZIP_MAX"])
    if awarded > limit:
        raise TooManyForZip(awarded, limit)
    return awarded


def write_zip(round_: Round, stream: BinaryIO, base_url: str, counted=lambda items: items,
              settle: Callable[[], None] = lambda: None) -> int:
    """The award certificates of a locked round, one PDF each, as a ZIP written to ``stream``
    (issuing those not issued yet; ``settle`` as for ``issue``). Returns how many. ``counted``
    sees the people go by. Participation certificates are never in it: on a national round
    they would make a file of gigabytes, and each person downloads their own."""
    result = locked_result(round_.id)
    if result is None:
        raise NotLocked()
    awards_to_zip(round_)
    written = 0
    # PDFs are compressed already: stored, not deflated again.
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED) as archive:
        for _person, certificate in issue(round_, counted(recipients(round_, result, awards_only=True)), settle):
            if certificate.revoked_at is not None:
                continue
            written += 1
            page = render(sheet(certificate, round_, result, base_url))
            archive.writestr(file_name(written, certificate), page)
    return written


def edition(round_: Round, base_url: str) -> str:
    """A digest of everything a round's certificates print besides the snapshot: the contest's
    letterhead and certificate settings, the logo, which certificates were revoked. The kept ZIP
    of a locked round is made again when it changes."""
    contest = round_.contest
    revoked = db.session.scalars(select(Certificate.code).where(
        Certificate.round_id == round_.id, Certificate.revoked_at.is_not(None)).order_by(Certificate.code)).all()
    parts = [repr(letterhead(contest)), contest.title, round_.title, contest.certificate_title or "", contest.timezone,
             hashlib.sha256(contest.certificate_logo or b"").hexdigest(), ",".join(revoked),
             base_url]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def verified(code: str) -> Verified | None:
    """The certificate a code names, with what its page shows; None for no such code."""
    normal = normalise_code(code)
    certificate = db.session.scalar(select(Certificate).where(Certificate.code == normal)) if normal else None
    if certificate is None:
        return None
    round_ = db.session.get(Round, certificate.round_id)
    result = locked_summary(round_.id)
    contest = round_.contest
    zone = ZoneInfo(contest.timezone)
    revoked = certificate.revoked_at
    return Verified(certificate=certificate, round=round_, contest=contest, result=result,
                    issuer=letterhead(contest).organising_body,
                    dated=_lock_day(result, contest).strftime("%d/%m/%Y"),
                    revoked_on=revoked.astimezone(zone).strftime("%d/%m/%Y") if revoked else None)


def revoke(certificate: Certificate, reason: str, when: datetime | None = None) -> None:
    """Mark a certificate revoked (a judge's decision, audit-logged by the caller). Its public
    page says only that it was revoked, and when: the reason (which may name people) is for
    the contest's judges and the audit log."""
    certificate.revoked_at = when or utcnow()
    certificate.revoked_reason = reason
    db.session.flush()


def save_settings(contest: Contest, *, participants: bool, title: str | None, logo: bytes | None,
                  remove_logo: bool = False) -> None:
    """An organiser's certificate settings (the page's; the contest file sets the same columns):
    ``logo`` a PNG made by ``contests.logos``, or None to keep the stored one. Audit-logged."""
    def summary() -> dict:
        return {"participants": contest.certificate_participants, "title": contest.certificate_title,
                "logo": hashlib.sha256(contest.certificate_logo).hexdigest()[:16] if contest.certificate_logo else None}

    before = summary()
    contest.certificate_participants, contest.certificate_title = participants, title or None
    if logo is not None:
        contest.certificate_logo = logo
    elif remove_logo:
        contest.certificate_logo = None
    audit.record("contest.certificates_saved", "contest", contest.slug, before=before, after=summary())
    db.session.flush()


def sample(contest: Contest, base_url: str) -> bytes:
    """A certificate as the contest's would look, for its organisers before any round is locked:
    a made-up person, the first award tier, today's date; its code finds nothing."""
    round_ = next((item for item in contest.rounds if not item.practice), None)
    return render(_sheet(
        contest, holder_name="Nguyễn Văn A (bản mẫu)", holder_unit="Đơn vị của người dự thi",
        award=next((tier["name"] for item in contest.rounds for tier in item.awards), "Giải Nhất"),
        round_title=round_.title if round_ else "Tuần 1", day=datetime.now(ZoneInfo(contest.timezone)).date(),
        code="MẪU", url=base_url + VERIFY_PATH.format(code="MAU")))


def forget_holder(user_id: int) -> int:
    """Erasure (quizapp/privacy/erasure.py): the person's certificates lose the name, unit and
    phone they print, and a revocation's reason (it may be about them); the award stays on
    record, and their pages say the data was erased.
    Returns how many; flushes."""
    changed = db.session.execute(
        update(Certificate).where(Certificate.user_id == user_id)
        .values(holder_name=None, holder_unit=None, holder_phone=None, revoked_reason=None, erased_at=utcnow())
        .execution_options(synchronize_session=False))
    return changed.rowcount or 0
