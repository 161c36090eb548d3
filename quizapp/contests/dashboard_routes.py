"""The dashboard page of one contest, for its organisers and judges.

- ``GET /contests/manage/<slug>/dashboard[?round=N]`` participation and scores (contests.dashboard), and
  with a round the questions judging's item analysis marks (``questions_to_review``, lent by judging)
"""

from __future__ import annotations

from flask import abort, render_template, request
from markupsafe import Markup

from quizapp import clock
from quizapp.charts import bar_chart, column_chart
from quizapp.contests import access
from quizapp.contests.blueprint import bp
from quizapp.contests.dashboard import Dashboard, UnitCount, dashboard, questions_to_review
from quizapp.contests.models import Contest, Round
from quizapp.formatting import duration_text, percent
from quizapp.roles import role_required

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
# More bars than this would make the units chart longer than a page; the table has them all.
CHART_UNITS = 20
# The round's questions listed for a look; the item analysis page has them all.
REVIEW_QUESTIONS = 5


@bp.get("/manage/<slug>/dashboard")
@role_required("organiser", "judge")
def manage_dashboard(slug: str):
    contest = access.contest_or_abort(slug, "organiser", "judge")
    data = dashboard(contest, _chosen_round(contest))
    review = questions_to_review(data.round, REVIEW_QUESTIONS) if data.round is not None else None
    return render_template("contests/manage/dashboard.html", contest=contest, data=data, charts=_charts(data),
                           review=review, weekdays=WEEKDAYS, duration_text=duration_text,
                           local_time=clock.local_time)


def _chosen_round(contest: Contest) -> Round | None:
    """The round ``?round=N`` names (404 if the contest has none such), or None for all rounds."""
    wanted = request.args.get("round", "").strip()
    if not wanted:
        return None
    for round_ in contest.rounds:
        if str(round_.number) == wanted:
            return round_
    abort(404)


def _charts(data: Dashboard) -> dict[str, Markup]:
    def people(rows: list[UnitCount]) -> list[tuple[str, int]]:
        return [(row.name, row.participants) for row in rows if row.participants]

    rated = [(row.name, row.rate) for row in data.districts if row.rate is not None]
    return {
        "attempts": column_chart([(day.day.strftime("%d/%m"), day.attempts) for day in data.days],
                                 title="Lượt thi theo ngày"),
        "new": column_chart([(day.day.strftime("%d/%m"), day.new_participants) for day in data.days],
                            title="Người tham gia mới theo ngày"),
        "districts": bar_chart(people(data.districts), title="Người tham gia theo đơn vị cấp trên"),
        "district_rates": bar_chart(rated, title="Tỷ lệ tham gia theo đơn vị cấp trên", format_value=percent),
        "units": bar_chart(people(data.units)[:CHART_UNITS],
                           title=f"Người tham gia: {CHART_UNITS} đơn vị đông nhất"),
        "scores": column_chart([(str(score), count) for score, count in data.scores],
                               title="Số lượt đã nộp theo số câu đúng"),
    }
