"""The printed round summary as an official document (issue 15): the issuing body and the
national heading (Quốc hiệu and Tiêu ngữ, or the Party's), the place and date, a title, times
and durations for people, the judges' award decisions with their reasons, the checksum, the
contest's signers side by side, and A4 print rules as Decree 30/2020 sets them."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from quizapp.auth.models import User
from quizapp.contests.models import Attempt, Round
from quizapp.extensions import db
from quizapp.formatting import duration_text
from quizapp.judging.awards import override_award
from quizapp.judging.locking import lock_round
from quizapp.judging.models import RoundResult
from tests.attempt_support import CLOSES
from tests.conftest import GENEROUS_LIMITS
from tests.judging.test_round_summary import assert_no_personal_data, masked, reported_round, staff_client

SIGNERS = [{"on_behalf": "T/M Ban Giám khảo", "title": "Trưởng ban", "name": "Trần Văn Bình"},
           {"on_behalf": "T/M Ban Tổ chức", "title": "Phó Trưởng ban Thường trực", "name": "Lê Thị Hoa"}]
GIVEN, WITHDRAWN = "Bổ sung hồ sơ hợp lệ sau khi xét lại", "Vi phạm thể lệ: dùng hai tài khoản"
STYLE = Path(__file__).resolve().parents[2] / "quizapp" / "static" / "style.css"


def documented_round(make_app, tmp_path, *, heading: str = "state", signers=SIGNERS, place: str | None = "Nam Định"):
    """The summary's round with its contest's document settings and two judges' decisions:
    taker 5 given a Giải Ba, taker 6 (a Giải Ba by the ranking) passed over; then locked."""
    app = make_app(**GENEROUS_LIMITS)
    round_id, clock, takers = reported_round(app, tmp_path)
    clock.set(CLOSES + timedelta(minutes=1))  # 09:01 on 13 May 2030 in Vietnam
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        contest = round_.contest
        contest.organising_body, contest.parent_body = "Ban Tuyên giáo Tỉnh ủy", "Tỉnh ủy Nam Định"
        contest.document_place, contest.document_heading, contest.signers = place, heading, signers
        override_award(round_, takers[5].user_id, "Giải Ba", GIVEN, None)
        override_award(round_, takers[6].user_id, None, WITHDRAWN, None)
        lock_round(round_, None)
        db.session.commit()
    return app, round_id, takers


def visible_text(html: str) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def section(html: str, element_id: str) -> str:
    """The content of the element with this id (its tag's first closing after it)."""
    tag, content = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*)', html, re.S).groups()
    return content[:content.index(f"</{tag}>")]


def table_rows(html: str, table_id: str) -> list[list[str]]:
    body = re.search(rf'<table id="{table_id}">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_the_summary_is_headed_dated_and_signed_as_an_official_document(make_app, tmp_path):
    app, round_id, takers = documented_round(make_app, tmp_path)

    html = staff_client(app, "judge", round_id).get(f"/judging/rounds/{round_id}/summary").get_data(as_text=True)
    text = visible_text(html)

    heading = visible_text(section(html, "national-heading"))
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in heading and "Độc lập - Tự do - Hạnh phúc" in heading
    assert '<span class="motto">Độc lập - Tự do - Hạnh phúc</span>' in html  # the line ruled underneath
    assert "TỈNH ỦY NAM ĐỊNH" in text and "BAN TUYÊN GIÁO TỈNH ỦY" in visible_text(section(html, "organising-body"))
    assert '<p class="dated" id="dated">Nam Định, ngày 13 tháng 5 năm 2030</p>' in html
    assert "BÁO CÁO Kết quả Vòng 1 (Tuần 1) Cuộc thi bao-cao" in text
    signatures = visible_text(section(html, "signatures"))
    assert re.search(r"T/M BAN GIÁM KHẢO TRƯỞNG BAN Trần Văn Bình T/M BAN TỔ CHỨC PHÓ TRƯỞNG BAN THƯỜNG TRỰC "
                     r"Lê Thị Hoa", signatures)
    assert 'id="no-signers"' not in html
    with app.app_context():
        checksum = db.session.scalar(select(RoundResult.checksum).where(RoundResult.round_id == round_id))
    assert f'<code id="checksum">{checksum}</code>' in html
    # The checksum and the signatures close the report; the answer key follows as its annex.
    assert html.index('id="checksum"') < html.index('id="signatures"') < html.index('id="answer-key"')
    assert_no_personal_data(html, takers, checksum)


def test_decisions_are_listed_with_their_reasons(make_app, tmp_path):
    app, round_id, takers = documented_round(make_app, tmp_path)

    html = staff_client(app, "organiser", round_id).get(f"/judging/rounds/{round_id}/summary").get_data(as_text=True)

    assert table_rows(html, "award-decisions") == [
        ["Người Báo Cáo 5", masked(takers[5].phone), "Phường Một", "Trao Giải Ba", GIVEN],
        ["Người Báo Cáo 6", masked(takers[6].phone), "Phường Hai", "Không trao giải", WITHDRAWN],
    ]
    # In the winners' list, the award a decision gave is marked and the mark explained.
    awards = {row[2]: row[0] for row in table_rows(html, "winners")}
    assert awards["Người Báo Cáo 5"] == "Giải Ba*" and "Người Báo Cáo 6" not in awards
    assert [award for award in awards.values() if award.endswith("*")] == ["Giải Ba*"]
    assert "Giải do Ban Giám khảo quyết định; lý do ở mục IV." in visible_text(section(html, "decided-note"))


def test_times_and_durations_are_written_for_people(make_app, tmp_path):
    app, round_id, takers = documented_round(make_app, tmp_path)

    html = staff_client(app, "judge", round_id).get(f"/judging/rounds/{round_id}/summary").get_data(as_text=True)

    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    with app.app_context():
        attempts = db.session.execute(select(User.full_name, Attempt.duration_ms, Attempt.submitted_at)
                                      .join(User, User.id == Attempt.user_id)
                                      .where(Attempt.round_id == round_id, Attempt.submitted_at.is_not(None))).all()
    spoken = {(name, duration_text(ms), f"{moment.astimezone(zone):%H:%M:%S %d/%m/%Y}")
              for name, ms, moment in attempts}
    rows = table_rows(html, "winners")
    assert len(rows) == 5
    for row in rows:
        assert re.fullmatch(r"(\d+ phút )?\d+ giây|\d+ phút", row[6]), row
        assert (row[2], row[6], row[7]) in spoken
    text = visible_text(html).replace(re.search(r'<code id="checksum">(\w+)</code>', html).group(1), "")
    # No seconds with decimals ("1073.0"), no milliseconds, no UTC anywhere.
    assert not re.search(r"\d\.\d", text), re.search(r".{30}\d\.\d.{30}", text).group(0)
    assert not re.search(r"\d:\d\d\.\d", text)
    assert "UTC" not in html and "+00:00" not in html
    assert "Nộp bài lúc (giờ Việt Nam)" in text


def test_a_party_body_is_headed_by_the_party_and_unsigned_reports_say_where_to_set_signers(make_app, tmp_path):
    app, round_id, _takers = documented_round(make_app, tmp_path, heading="party", signers=[], place=None)
    url = f"/judging/rounds/{round_id}/summary"

    organiser = staff_client(app, "organiser", round_id).get(url).get_data(as_text=True)
    judge = staff_client(app, "judge", round_id).get(url).get_data(as_text=True)

    heading = visible_text(section(organiser, "national-heading"))
    assert heading.strip() == "ĐẢNG CỘNG SẢN VIỆT NAM" and "CỘNG HÒA" not in organiser
    assert '<span class="motto">ĐẢNG CỘNG SẢN VIỆT NAM</span>' in organiser
    assert '<p class="dated" id="dated">Ngày 13 tháng 5 năm 2030</p>' in organiser
    assert 'id="signatures"' not in organiser
    with app.app_context():
        slug = db.session.get(Round, round_id).contest.slug
    hint = section(organiser, "no-signers")
    assert "chưa khai báo người ký" in hint and f'href="/contests/manage/{slug}/edit"' in hint
    assert 'class="notice no-print" id="no-signers"' in organiser
    # A judge cannot edit the contest: the hint says whom to ask, with no link.
    judge_hint = section(judge, "no-signers")
    assert "chưa khai báo người ký" in judge_hint and "href=" not in judge_hint


def test_the_summary_prints_on_a4_with_decree_30_margins_in_a_serif_face():
    css = STYLE.read_text(encoding="utf-8")
    page = re.search(r"@page summary \{([^}]*)\}", css).group(1)
    assert "size: A4 portrait" in page
    top, right, bottom, left = (int(value) for value in re.search(r"margin: (\d+)mm (\d+)mm (\d+)mm (\d+)mm",
                                                                   page).groups())
    assert 20 <= top <= 25 and 20 <= bottom <= 25 and 30 <= left <= 35 and 15 <= right <= 20
    printed = css[css.index("@page summary"):]
    rule = re.search(r"\.round-summary \{([^}]*)\}", printed).group(1)
    assert "page: summary" in rule and '"Times New Roman"' in rule and "serif" in rule
    assert 13 <= float(re.search(r"font-size: ([\d.]+)pt", rule).group(1)) <= 14
    assert re.search(r"header\.site[^{]*\.round-summary \.no-print \{ display: none; \}", printed)
    assert ".round-summary .annex { break-before: page; }" in printed
