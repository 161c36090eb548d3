from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from quizapp import audit
from quizapp.extensions import db
from quizapp.units.access import directory_required, may_edit_directory
from quizapp.units.forms import HeadcountForm, UnitsUploadForm
from quizapp.units.models import Unit
from quizapp.units.services import UnitsFileError, load_units_csv, unit_tree

bp = Blueprint("units", __name__, url_prefix="/units")


@bp.get("/")
@directory_required(edit=False)
def index():
    return _index(UnitsUploadForm())


def _index(form: UnitsUploadForm, errors: list[str] | None = None):
    return render_template("units/index.html", tree=unit_tree(), form=form, file_errors=errors,
                           may_edit=may_edit_directory(current_user))


@bp.post("/upload")
@directory_required(edit=True)
def upload():
    """Load or update the directory from a CSV file: all or nothing, every bad row reported."""
    form = UnitsUploadForm()
    errors: list[str] = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = load_units_csv(upload.read(), upload.filename or "units.csv")
        except UnitsFileError as error:
            db.session.rollback()
            errors = error.errors
        else:
            db.session.commit()
            flash(f"Đã nạp danh mục: {report.created} đơn vị mới, {report.updated} cập nhật, "
                  f"{report.unchanged} không đổi.", "success")
            return redirect(url_for(".index"))
    return _index(form, errors), 422


@bp.route("/<code>/headcount", methods=["GET", "POST"])
@directory_required(edit=True)
def headcount(code: str):
    unit = db.session.scalar(db.select(Unit).where(Unit.code == code))
    if unit is None:
        abort(404)
    form = HeadcountForm(data={"headcount": unit.headcount})
    if form.validate_on_submit():
        before = unit.headcount
        unit.headcount = form.headcount.data
        audit.record("unit.headcount", "unit", unit.code, before={"headcount": before},
                     after={"headcount": unit.headcount})
        db.session.commit()
        flash(f"Đã lưu số người của {unit.name}.", "success")
        return redirect(url_for(".index"))
    return render_template("units/headcount.html", unit=unit, form=form), 200 if not form.errors else 422
