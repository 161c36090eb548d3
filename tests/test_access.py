"""Who may open which page: roles, and what anonymous visitors get."""

from __future__ import annotations

import pytest

ORGANISER_PAGES = ["/units/"]
ADMIN_PAGES = ["/admin/users"]


@pytest.mark.parametrize("path", ORGANISER_PAGES + ADMIN_PAGES)
def test_anonymous_visitor_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


@pytest.mark.parametrize("path", ORGANISER_PAGES + ADMIN_PAGES)
@pytest.mark.parametrize("role", ["taker", "judge"])
def test_taker_and_judge_are_refused_organiser_pages(client, auth, role, path):
    auth.login_as(role)
    response = client.get(path)
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "Không có quyền truy cập" in html
    assert 'lang="vi"' in html


@pytest.mark.parametrize(("role", "path", "status"), [
    ("organiser", "/units/", 200),
    ("organiser", "/admin/users", 403),
    ("admin", "/units/", 200),
    ("admin", "/admin/users", 200),
])
def test_organiser_and_admin_pages(client, auth, role, path, status):
    auth.login_as(role)
    assert client.get(path).status_code == status


def test_units_page_shows_the_tree(client, auth, runner, tmp_path):
    units = tmp_path / "units.csv"
    units.write_text(
        "code,name,parent_code,headcount\nH1,Huyện Một,,\nX1,Xã Một,H1,250\n", encoding="utf-8"
    )
    assert runner.invoke(args=["units", "load", str(units)]).exit_code == 0
    auth.login_as("organiser")
    html = client.get("/units/").get_data(as_text=True)
    assert html.index("Huyện Một") < html.index("Xã Một")
    assert 'class="depth-1">Xã Một' in html
    assert ">250<" in html


def test_admin_user_list_searches(client, auth):
    auth.create(phone="0911111111", full_name="Đặng Thị Hoa")
    auth.create(phone="0922222222", full_name="Vũ Văn Khánh")
    auth.login_as("admin")
    html = client.get("/admin/users", query_string={"q": "Khánh"}).get_data(as_text=True)
    assert "Vũ Văn Khánh" in html
    assert "Đặng Thị Hoa" not in html
