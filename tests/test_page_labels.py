"""Every staff page speaks Vietnamese in one layout, and every input has a label.

An organiser on a laptop or a screen reader must know what each box asks for: each visible
input, select and textarea is named by a <label for=…>, by a label around it, or by an
aria-label. Pages are the ones the access matrix opens, plus the lists.
"""

from __future__ import annotations

from html.parser import HTMLParser

from tests.conftest import Accounts
from tests.contests.test_contest_access import build, requests_of

UNNAMED_TYPES = {"hidden", "submit", "button", "reset", "image"}
LISTS = ["/contests/manage/", "/contests/manage/new", "/banks/", "/banks/upload", "/units/", "/judging/",
         "/admin/users", "/admin/audit"]


class Fields(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.labelled: set[str] = set()
        self.fields: list[dict[str, str]] = []
        self.inside_label = 0
        self.lang = None
        self.has_main_nav = False

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.lang = attributes.get("lang")
        if tag == "nav":
            self.has_main_nav = True
        if tag == "label":
            self.inside_label += 1
            if attributes.get("for"):
                self.labelled.add(attributes["for"])
        if tag in ("input", "select", "textarea") and attributes.get("type", "") not in UNNAMED_TYPES:
            self.fields.append({**attributes, "_tag": tag, "_wrapped": "1" if self.inside_label else ""})

    def handle_endtag(self, tag):
        if tag == "label" and self.inside_label:
            self.inside_label -= 1

    def unnamed(self) -> list[dict[str, str]]:
        return [field for field in self.fields
                if not field["_wrapped"] and not field.get("aria-label") and field.get("id") not in self.labelled]


def test_every_staff_page_is_vietnamese_and_labels_its_inputs(app, tmp_path):
    world = build(app, tmp_path)
    client = app.test_client()
    Accounts(app, client).login_as("admin")
    files = (".csv", ".xlsx", ".svg", ".pdf")
    paths = LISTS + [path for _kind, method, path, _form in requests_of(world)
                     if method == "GET" and not path.endswith(files) and "format=csv" not in path]

    checked = 0
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        page = Fields()
        page.feed(response.get_data(as_text=True))
        assert page.lang == "vi" and page.has_main_nav, path
        assert page.unnamed() == [], path
        checked += len(page.fields)
    assert checked > 40  # the check saw the forms it is about
