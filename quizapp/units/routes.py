from __future__ import annotations

from flask import Blueprint, render_template

from quizapp.auth.decorators import role_required
from quizapp.units.services import unit_tree

bp = Blueprint("units", __name__, url_prefix="/units")


@bp.get("/")
@role_required("organiser")
def index():
    return render_template("units/index.html", tree=unit_tree())
