"""The ``/contests`` blueprint: takers' pages (contests.taker) and organisers' (contests.organiser)."""

from flask import Blueprint

bp = Blueprint("contests", __name__, url_prefix="/contests")
