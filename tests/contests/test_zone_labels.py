"""Time zones as organisers read them: "giờ Việt Nam", never the zone's code."""

from __future__ import annotations

import re

import pytest

from quizapp.formatting import zone_label
from tests.attempt_support import one_round, simple_questions


@pytest.mark.parametrize(("zone", "label"), [
    ("Asia/Ho_Chi_Minh", "giờ Việt Nam"),
    ("Asia/Saigon", "giờ Việt Nam"),
    (None, "giờ Việt Nam"),
    ("Asia/Bangkok", "giờ Bangkok"),
    ("America/Argentina/Buenos_Aires", "giờ Buenos Aires"),
    ("UTC", "giờ UTC"),
])
def test_zone_label(zone, label):
    assert zone_label(zone) == label


def test_organiser_pages_name_the_zone_in_words(app, tmp_path, client, auth):
    one_round(app, tmp_path, "gio-vn", questions=simple_questions("gv", 2))
    auth.login_as("organiser", contest="gio-vn")
    pages = ["/contests/manage/", "/contests/manage/gio-vn/dashboard", "/contests/manage/gio-vn/rounds/1/edit",
             "/contests/manage/gio-vn/rounds/new", "/contests/manage/new"]
    for path in pages:
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        shown = re.sub(r"<[^>]+>", " ", html)
        assert "Asia/" not in shown and "Ho_Chi_Minh" not in shown, path
        assert "giờ Việt Nam" in shown, path
