"""The ``contests`` blueprint: the organisers' pages under ``/contests/manage/``
(contests.organiser, contests.dashboard_routes).

Other pages share the ``/contests`` prefix from their own rooms: the takers' pages (the
``attempts`` blueprint, quizapp/attempts/routes.py) and a locked round's public results (the
``results`` blueprint, quizapp/judging/public.py).
"""

from flask import Blueprint

bp = Blueprint("contests", __name__, url_prefix="/contests")
