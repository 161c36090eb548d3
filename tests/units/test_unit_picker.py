"""The unit picker: search ignoring diacritics with path labels (GET /api/v1/units), the
step-by-step choice without JavaScript on the registration and profile pages, and the
registration page's size with a province's 10,000 units."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from quizapp.auth.models import User
from quizapp.extensions import db
from quizapp.text import fold
from quizapp.units.services import load_units_csv
from tests.conftest import CONSENT, PASSWORD, csrf_token
from tests.unit_support import commune_code, district_code, province_csv

# Two communes named Tân Lập in two districts, a Tân Lập district, a Tân Lập Mới, and a unit
# whose name only holds the words apart.
SMALL = """code,name,parent_code,headcount
HN,Thành phố Hà Nội,,
DP,Huyện Đan Phượng,HN,
HD,Huyện Hoài Đức,HN,
TLH,Huyện Tân Lập,HN,
DP-TL,Xã Tân Lập,DP,
HD-TL,Xã Tân Lập,HD,
HD-TLM,Xã Tân Lập Mới,HD,
HD-DT,Xã Đồng Tâm,HD,
TLH-LT,"Xã Lập Tân, xã mới",TLH,
""".encode()


def load(app, data: bytes) -> None:
    with app.app_context():
        load_units_csv(data, "units.csv")
        db.session.commit()


def search(client, query: str, **params):
    return client.get("/api/v1/units", query_string={"q": query, **params})


def labels(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [unit["label"] for unit in response.get_json()["units"]]


def options(html: str) -> list[tuple[str, str]]:
    """The (value, text) of every option of the unit select."""
    select_html = re.search(r'<select id="unit_code".*?</select>', html, re.S).group()
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select_html)


def test_fold_drops_case_diacritics_and_the_stroke_of_d():
    assert fold("Xã Tân Lập") == "xa tan lap"
    assert fold("ĐỒNG TÂM đường") == "dong tam duong"
    assert fold("Thừa Thiên Huế — Ủy ban") == "thua thien hue — uy ban"
    # Decomposed input (some keyboards send it) folds the same as composed.
    assert fold("Xa\u0303 Ta\u0302n La\u0323\u0302p") == "xa tan lap"
    assert fold(None) == fold("") == ""


def test_search_ignores_diacritics_and_case_and_names_each_hit_with_its_path(app, client):
    load(app, SMALL)
    for query in ("xa tan lap", "Xã Tân Lập", "XA TAN LAP", "xã tan lâp"):
        assert labels(search(client, query))[:3] == [
            "Xã Tân Lập — Huyện Đan Phượng — Thành phố Hà Nội",
            "Xã Tân Lập — Huyện Hoài Đức — Thành phố Hà Nội",
            "Xã Tân Lập Mới — Huyện Hoài Đức — Thành phố Hà Nội",
        ], query
    assert labels(search(client, "dong tam")) == ["Xã Đồng Tâm — Huyện Hoài Đức — Thành phố Hà Nội"]
    # "đ" is found by "d", and by itself.
    assert labels(search(client, "đan phượng")) == labels(search(client, "dan phuong"))
    unit = search(client, "dong tam").get_json()["units"][0]
    assert unit == {"code": "HD-DT", "name": "Xã Đồng Tâm", "path": ["Thành phố Hà Nội", "Huyện Hoài Đức"],
                    "label": "Xã Đồng Tâm — Huyện Hoài Đức — Thành phố Hà Nội", "children": 0}


def test_search_ranks_the_name_first_then_its_start_then_the_phrase_then_the_words_then_the_path(app, client):
    load(app, SMALL)
    assert labels(search(client, "tan lap")) == [
        # the phrase at a word of the name: ties by name, then by path
        "Huyện Tân Lập — Thành phố Hà Nội",
        "Xã Tân Lập — Huyện Đan Phượng — Thành phố Hà Nội",
        "Xã Tân Lập — Huyện Hoài Đức — Thành phố Hà Nội",
        "Xã Tân Lập Mới — Huyện Hoài Đức — Thành phố Hà Nội",
        # each word, not as a phrase
        "Xã Lập Tân, xã mới — Huyện Tân Lập — Thành phố Hà Nội",
    ]
    assert labels(search(client, "huyen tan lap"))[0] == "Huyện Tân Lập — Thành phố Hà Nội"
    assert labels(search(client, "xa tan lap moi"))[0] == "Xã Tân Lập Mới — Huyện Hoài Đức — Thành phố Hà Nội"
    # A word of an ancestor tells two communes of one name apart.
    assert labels(search(client, "tan lap dan phuong")) == ["Xã Tân Lập — Huyện Đan Phượng — Thành phố Hà Nội"]
    # Words match at their start only: "ap" is in "Lập" but starts no word.
    assert labels(search(client, "ap")) == []


def test_search_answers_at_most_twenty_and_counts_them_all(app, client):
    load(app, province_csv(400, 20))
    answer = search(client, "xa").get_json()
    assert (len(answer["units"]), answer["total"]) == (20, 379)
    answer = search(client, "tan lap").get_json()
    assert answer["total"] == 20  # one Xã Tân Lập in each district
    assert len(set(unit["label"] for unit in answer["units"])) == 20


def test_levels_of_the_directory_and_their_pages(app, client):
    load(app, province_csv(1000, 4))  # 995 communes: about 249 in each district
    top = client.get("/api/v1/units").get_json()
    assert [(unit["code"], unit["children"]) for unit in top["units"]] == [("HN", 4)] and top["total"] == 1
    districts = client.get("/api/v1/units", query_string={"parent": "HN"}).get_json()
    assert districts["total"] == 4 and districts["units"][0]["path"] == ["Thành phố Hà Nội"]
    first = client.get("/api/v1/units", query_string={"parent": district_code(1)}).get_json()
    rest = client.get("/api/v1/units", query_string={"parent": district_code(1), "offset": 200}).get_json()
    assert first["total"] == rest["total"] == 249
    assert (len(first["units"]), len(rest["units"])) == (200, 49)
    names = [unit["name"] for unit in first["units"] + rest["units"]]
    assert len(set(names)) == 249
    # In name order, numbers by value.
    assert names.index("Xã An Phú 2") < names.index("Xã An Phú 10")


def test_a_search_within_a_unit_and_further_pages_of_matches(app, client):
    load(app, SMALL)
    assert labels(search(client, "tan lap", parent="HD")) == [
        "Xã Tân Lập — Huyện Hoài Đức — Thành phố Hà Nội", "Xã Tân Lập Mới — Huyện Hoài Đức — Thành phố Hà Nội"]
    assert labels(search(client, "tan lap", parent="HD-TL")) == []
    everything = labels(search(client, "tan lap"))
    assert labels(search(client, "tan lap", offset=3)) == everything[3:]
    # A text with nothing to search for finds nothing.
    for query in ("", " —…! "):
        assert search(client, query).get_json() == {"units": [], "total": 0}


@pytest.mark.parametrize(("params", "status", "code", "field"), [
    ({"q": "x" * 101}, 422, "validation_error", "q"),
    ({"q": "tan", "parent": "KHONG-CO"}, 404, "not_found", None),
    ({"q": "tan", "offset": "x"}, 422, "validation_error", "offset"),
    ({"offset": "-1"}, 422, "validation_error", "offset"),
    ({"offset": "abc"}, 422, "validation_error", "offset"),
    ({"offset": "9" * 30}, 422, "validation_error", "offset"),
    ({"parent": "KHONG-CO"}, 404, "not_found", None),
    ({"parent": "x" * 5000}, 404, "not_found", None),
])
def test_bad_questions_get_a_clear_error_that_no_cache_keeps(app, client, params, status, code, field):
    load(app, SMALL)
    response = client.get("/api/v1/units", query_string=params)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    if field:
        assert list(error["fields"]) == [field]
    assert response.headers["Cache-Control"] == "no-store"


def test_answers_are_public_for_a_few_minutes_and_revalidate_until_the_directory_changes(app, client):
    load(app, SMALL)
    first = search(client, "dong tam")
    assert first.headers["Cache-Control"] in ("public, max-age=300", "max-age=300, public")
    assert "Set-Cookie" not in first.headers
    revalidate = {"If-None-Match": first.headers["ETag"]}
    again = client.get("/api/v1/units", query_string={"q": "dong tam"}, headers=revalidate)
    assert again.status_code == 304 and not again.data
    other_query = search(client, "tan lap")
    assert other_query.headers["ETag"] != first.headers["ETag"]
    load(app, "code,name,parent_code\nHD-DT,Xã Đồng Tâm Mới,HD\n".encode())
    changed = client.get("/api/v1/units", query_string={"q": "dong tam"}, headers=revalidate)
    assert changed.status_code == 200
    assert labels(changed) == ["Xã Đồng Tâm Mới — Huyện Hoài Đức — Thành phố Hà Nội"]


def test_a_directory_loaded_by_another_process_is_seen(app, make_app, client):
    load(app, SMALL)
    other = make_app(UNIT_INDEX_CHECK_SECONDS=0)
    assert labels(other.test_client().get("/api/v1/units", query_string={"q": "dong tam"}))
    load(app, "code,name,parent_code\nHD-BM,Xã Bình Minh,HD\n".encode())
    # The other app's index was built before the load; it looks again (here at once, by
    # default within 5 s) and sees the new unit.
    assert labels(other.test_client().get("/api/v1/units", query_string={"q": "binh minh"})) == [
        "Xã Bình Minh — Huyện Hoài Đức — Thành phố Hà Nội"]


def test_searching_is_limited_per_address_with_retry_after(make_app):
    app = make_app(RATELIMIT_UNIT_SEARCH_PER_IP="3 per minute")
    load(app, SMALL)
    client = app.test_client()
    assert [search(client, "tan").status_code for _ in range(3)] == [200, 200, 200]
    limited = search(client, "tan")
    assert limited.status_code == 429 and limited.get_json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0 and limited.headers["Cache-Control"] == "no-store"
    assert search(client, "tan").status_code == 429
    assert app.test_client().get("/api/v1/units", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200


# --- the pages, without JavaScript ---------------------------------------------------------


def step(client, path: str, **fields):
    return client.post(path, data={"csrf_token": csrf_token(client), **CONSENT, **fields})


def test_without_javascript_a_taker_steps_down_to_a_commune_keeping_what_they_typed(app, client, user_count):
    load(app, province_csv(1000, 4))
    page = client.get("/auth/register").get_data(as_text=True)
    # The province is the only top unit: its districts are listed, with how many units each holds.
    assert options(page) == [("", "— Chọn đơn vị —"), ("HN", "Thành phố Hà Nội (đơn vị đang xem)"),
                             ("HN-01", "Huyện Đan Phượng (249)"), ("HN-02", "Huyện Hoài Đức (249)"),
                             ("HN-04", "Huyện Quốc Oai (248)"), ("HN-03", "Huyện Thạch Thất (249)")]
    typed = {"phone": "0912345678", "password": PASSWORD, "confirm_password": PASSWORD,
             "full_name": "Trần Thị Bình", "birth_date": "1990-02-03"}
    down = step(client, "/auth/register", **typed, unit_code=district_code(2), unit_code_at="HN",
                unit_code_step="down")
    assert down.status_code == 200 and user_count() == 0
    html = down.get_data(as_text=True)
    assert 'value="Trần Thị Bình"' in html and 'value="0912345678"' in html and 'value="1990-02-03"' in html
    assert PASSWORD not in html and "vui lòng nhập lại mật khẩu" in html
    assert "Đang xem: Thành phố Hà Nội › Huyện Hoài Đức" in html
    listed = options(html)
    assert listed[1] == ("HN-02", "Huyện Hoài Đức (đơn vị đang xem)")
    assert len(listed) == 2 + 200 and "Trang sau (2/2)" in html
    second = step(client, "/auth/register", **typed, unit_code="", unit_code_at="HN-02", unit_code_page="0",
                  unit_code_step="next").get_data(as_text=True)
    last = options(second)[-1]
    assert len(options(second)) == 2 + 49 and "Trang trước" in second
    registered = step(client, "/auth/register", **typed, unit_code=last[0], unit_code_at="HN-02")
    assert registered.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User)).unit.code == last[0]


def test_without_javascript_an_inner_unit_can_be_chosen_and_up_goes_back(app, client):
    load(app, SMALL)
    up = step(client, "/auth/register", unit_code="", unit_code_at="HD", unit_code_step="up").get_data(as_text=True)
    assert [code for code, _label in options(up)] == ["", "HN", "DP", "HD", "TLH"]
    top = step(client, "/auth/register", unit_code="", unit_code_at="HN", unit_code_step="up").get_data(as_text=True)
    assert [code for code, _label in options(top)] == ["", "HN"] and "Lên cấp trên" not in top
    leaf = step(client, "/auth/register", unit_code="HD-DT", unit_code_at="HD", unit_code_step="down")
    assert "Xã Đồng Tâm không có đơn vị trực thuộc." in leaf.get_data(as_text=True)
    nothing = step(client, "/auth/register", unit_code="", unit_code_step="down").get_data(as_text=True)
    assert "Hãy chọn một đơn vị trong danh sách" in nothing
    response = step(client, "/auth/register", phone="0912345678", password=PASSWORD, confirm_password=PASSWORD,
                    full_name="Lê Văn Cường", unit_code="HD", unit_code_at="HN")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User)).unit.code == "HD"


def test_without_javascript_the_search_box_lists_matches_with_their_paths(app, client, user_count):
    load(app, SMALL)
    typed = {"phone": "0912345678", "password": PASSWORD, "confirm_password": PASSWORD, "full_name": "Phạm An"}
    # Enter in the search box sends the form without a step and without a unit: a search.
    for fields in ({"unit_code_q": "tan lap dan", "unit_code": ""},
                   {"unit_code_q": "tan lap dan", "unit_code_step": "search", "unit_code": "HD"}):
        html = step(client, "/auth/register", **typed, **fields).get_data(as_text=True)
        assert user_count() == 0
        assert ("DP-TL", "Xã Tân Lập — Huyện Đan Phượng — Thành phố Hà Nội") in options(html)
        assert "Có 1 đơn vị khớp với “tan lap dan”" in html and 'value="tan lap dan"' in html
    none = step(client, "/auth/register", unit_code_q="khong co dau", unit_code_step="search").get_data(as_text=True)
    assert "Không tìm thấy đơn vị nào khớp với “khong co dau”." in none
    blank = step(client, "/auth/register", unit_code_q="", unit_code_step="search").get_data(as_text=True)
    assert "Nhập tên đơn vị cần tìm" in blank
    long = step(client, "/auth/register", unit_code_q="a" * 5000, unit_code_step="search").get_data(as_text=True)
    assert "dài quá 100 ký tự" in long


def test_stepping_spends_nothing_of_the_registration_budget(make_app, user_count):
    app = make_app(RATELIMIT_REGISTER_PER_IP="2 per hour")
    load(app, SMALL)
    client = app.test_client()
    for _ in range(4):
        assert step(client, "/auth/register", unit_code="HD", unit_code_step="down").status_code == 200
    response = step(client, "/auth/register", phone="0912345678", password=PASSWORD, confirm_password=PASSWORD,
                    full_name="Võ Thị Hà", unit_code="HD-TL")
    assert response.status_code == 302 and user_count() == 1


def test_unknown_or_tampered_codes_get_clear_errors_and_change_nothing(app, client, auth, user_count):
    load(app, SMALL)
    bad = step(client, "/auth/register", phone="0912345678", password=PASSWORD, confirm_password=PASSWORD,
               full_name="Đỗ Văn Em", unit_code="KHONG-CO")
    assert bad.status_code == 422 and user_count() == 0
    assert "Đơn vị không có trong danh mục." in bad.get_data(as_text=True)
    lost = step(client, "/auth/register", unit_code="", unit_code_at="KHONG-CO", unit_code_page="x" * 50,
                unit_code_step="next").get_data(as_text=True)
    assert "danh sách bắt đầu lại từ cấp cao nhất" in lost
    assert step(client, "/auth/register", unit_code="x" * 10_000, unit_code_step="bogus").status_code == 422
    api = app.test_client()
    token = api.get("/api/v1/session").get_json()["csrf_token"]
    answer = api.post("/api/v1/register", headers={"X-CSRFToken": token}, json={
        "phone": "0912345679", "password": PASSWORD, "full_name": "Đỗ Văn Em", "unit_code": "KHONG-CO", **CONSENT})
    assert answer.status_code == 422
    assert answer.get_json()["error"]["fields"] == {"unit_code": ["Đơn vị không có trong danh mục."]}
    assert user_count() == 0


def test_the_profile_page_shows_the_unit_among_its_siblings_and_steps_without_saving(app, client, auth):
    load(app, SMALL)
    auth.create(phone="0912345678", unit_code="HD-TL")
    auth.login(phone="0912345678")
    page = client.get("/auth/profile").get_data(as_text=True)
    assert 'data-label="Xã Tân Lập — Huyện Hoài Đức — Thành phố Hà Nội"' in page
    assert '<option value="HD-TL" selected>Xã Tân Lập</option>' in page
    assert "Đang xem: Thành phố Hà Nội › Huyện Hoài Đức" in page
    up = step(client, "/auth/profile", full_name="Tên Mới", unit_code="DP", unit_code_at="HD", unit_code_step="down")
    assert up.status_code == 200 and 'value="Tên Mới"' in up.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User))
        assert (user.full_name, user.unit.code) != ("Tên Mới", "DP")
    saved = step(client, "/auth/profile", full_name="Tên Mới", unit_code="DP-TL", unit_code_at="DP")
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User)).unit.code == "DP-TL"


def test_the_registration_page_stays_under_40_kb_with_10000_units(app, client, auth):
    load(app, province_csv(10_000, 30))
    page = client.get("/auth/register")
    assert page.status_code == 200 and len(page.data) < 40 * 1024, len(page.data)
    assert len(options(page.get_data(as_text=True))) == 2 + 30
    # Any unit is still found, the deepest included, with its path.
    assert labels(search(client, "xa tan lap 17 dan phuong 2")) == [
        "Xã Tân Lập 17 — Huyện Đan Phượng 2 — Thành phố Hà Nội"]
    # A taker whose commune sits among 332 others: their profile page lists one page of them.
    auth.create(phone="0912345678", unit_code=commune_code(30, 332))
    auth.login(phone="0912345678")
    profile = client.get("/auth/profile")
    assert profile.status_code == 200 and len(profile.data) < 40 * 1024, len(profile.data)
    assert f'<option value="{commune_code(30, 332)}" selected>' in profile.get_data(as_text=True)
