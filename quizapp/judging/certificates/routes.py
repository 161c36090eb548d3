"""``/certificates``: the public verification page of a certificate and a winner's own download.

- ``GET  /certificates/<code>``                  the certificate's facts, for anyone (no sign-in):
                                                  what the QR code on the paper opens
- ``POST /certificates/<code>/revoke``           a judge of its contest revokes it, with a reason
- ``GET  /certificates/rounds/<round_id>.pdf``   the signed-in person's own certificate for a locked
                                                  round (404 if they have none)
- ``GET, POST /certificates/contests/<slug>/settings``  a contest's organisers: participants or not,
                                                  the title, the logo or seal (upload, remove)
- ``GET  /certificates/contests/<slug>/sample.pdf``     a certificate as the contest's would look

The judges' ZIP of a round's certificates is a judges' download like the others, on their
round page: ``/judging/rounds/<id>/certificates.zip`` (judging/routes.py, a background job).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from quizapp import audit
from quizapp.contests import access
from quizapp.contests.logos import MAX_INPUT_BYTES, LogoInvalid, png_of
from quizapp.extensions import db
from quizapp.judging.certificates import services
from quizapp.judging.certificates.forms import CertificateSettingsForm
from quizapp.limits import certificate_per_account, certificate_verify_per_ip
from quizapp.roles import role_required
from quizapp.text import clean_text

bp = Blueprint("certificates", __name__, url_prefix="/certificates")
MAX_REASON = 500


@bp.get("/<code>")
@certificate_verify_per_ip
def verify(code: str):
    """What a certificate certifies, with the phone masked and the round's lock checksum; a
    page in Vietnamese with 404 for a code that names none."""
    found = services.verified(code)
    if found is None:
        return render_template("certificates/unknown.html", code=code[:40]), 404
    judge = current_user.is_authenticated and access.may(current_user, found.contest, "judge")
    response = make_response(render_template("certificates/verify.html", found=found, judge=judge,
                                             printed=services.printed_code(found.certificate.code)))
    # A visitor's page shows only what the certificate publishes: a minute in any cache takes a
    # hall scanning the same paper off the server. A judge's carries the revoke form and its token.
    response.headers["Cache-Control"] = "private, no-store" if judge else "public, max-age=60"
    return response


@bp.post("/<code>/revoke")
@login_required
def revoke(code: str):
    found = services.verified(code)
    if found is None:
        abort(404)
    if not access.may(current_user, found.contest, "judge"):
        abort(403)
    reason = clean_text(request.form.get("reason"))
    if not reason or len(reason) > MAX_REASON:
        flash(f"Cần ghi lý do thu hồi (tối đa {MAX_REASON} ký tự).", "error")
    elif found.certificate.revoked_at is not None:
        flash("Giấy chứng nhận này đã bị thu hồi trước đó.", "error")
    else:
        services.revoke(found.certificate, reason)
        audit.record("certificate.revoked", "round", found.round.id, subject=found.certificate.user_id,
                     after={"code": found.certificate.code, "reason": reason})
        db.session.commit()
        flash("Đã thu hồi giấy chứng nhận.", "success")
    return redirect(url_for(".verify", code=found.certificate.code))


@bp.get("/rounds/<int:round_id>.pdf")
@login_required
@certificate_per_account
def own(round_id: int):
    """The signed-in person's certificate for a locked round, issued on its first download."""
    certificate = services.own_certificate(round_id, current_user)
    if certificate is None or certificate.revoked_at is not None:
        abort(404)
    data = services.pdf(certificate)
    db.session.commit()
    name = f"giay-chung-nhan-{services.file_name(0, certificate)[4:]}"
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})


@bp.route("/contests/<slug>/settings", methods=["GET", "POST"])
@role_required("organiser")
def settings(slug: str):
    """What a contest's certificates look like and who gets one, with a sample to download."""
    contest = access.contest_or_abort(slug, "organiser")
    form = CertificateSettingsForm()
    if request.method == "GET":
        form.participants.data, form.title.data = contest.certificate_participants, contest.certificate_title or ""
    elif form.validate_on_submit():
        upload = form.logo.data
        try:
            # One byte past the limit is enough to refuse it: an upload is never read whole.
            logo = png_of(upload.read(MAX_INPUT_BYTES + 1)) if upload and upload.filename else None
        except LogoInvalid as error:
            form.logo.errors = [*form.logo.errors, f"Hình {error}."]
        else:
            services.save_settings(contest, participants=bool(form.participants.data),
                                   title=clean_text(form.title.data) or None, logo=logo,
                                   remove_logo=bool(form.remove_logo.data))
            db.session.commit()
            flash("Đã lưu cách cấp giấy chứng nhận.", "success")
            return redirect(url_for(".settings", slug=contest.slug))
    return render_template("certificates/settings.html", contest=contest, form=form,
                           default_title=services.DEFAULT_TITLE), 422 if form.errors else 200


@bp.get("/contests/<slug>/sample.pdf")
@role_required("organiser")
@certificate_per_account
def sample(slug: str):
    contest = access.contest_or_abort(slug, "organiser")
    return Response(services.sample(contest, services.verification_base()), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="giay-chung-nhan-mau-{contest.slug}.pdf"',
        "Cache-Control": "private, no-store"})
