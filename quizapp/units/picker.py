"""The unit field of the registration and profile forms, and what its picker shows.

The picker (templates/units/_picker.html) never lists the whole directory. With JavaScript,
static/unit-picker.js turns its search box into a combobox over ``GET /api/v1/units``. Without
JavaScript it is a few steps of the same form: its buttons send the form back with
``<name>_step`` (``down`` into the chosen unit, ``up``, ``next``/``prev`` page, ``search``),
and the page shows the form again with what the person typed and the next level of the
directory, or the units matching the search box, saving nothing (``UnitField.stepping``).
A search typed and sent without choosing a unit is a search too, so pressing Enter in the
search box finds units rather than saving an empty unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import ValidationError

from quizapp.extensions import db
from quizapp.text import clean_text
from quizapp.units.models import Unit
from quizapp.units.search import LEVEL_PAGE, Entry, directory_index, query_problem

UNKNOWN_UNIT = "Đơn vị không có trong danh mục."
STEPS = ("down", "up", "next", "prev", "search")
# Page numbers past this are nonsense whatever the directory holds (10,000 units are 50 pages).
MAX_PAGE = 10_000


@dataclass
class PickerView:
    """What the picker shows: the select's options after its placeholder, and around them."""

    options: list[tuple[str, str]] = field(default_factory=list)
    selected: str | None = None
    # The chosen unit with its ancestors, for the search box when JavaScript runs.
    selected_label: str = ""
    at: Entry | None = None
    page: int = 0
    pages: int = 1
    notice: str = ""

    @property
    def crumbs(self) -> list[str]:
        return [*self.at.path, self.at.name] if self.at else []


class UnitField(StringField):
    """A unit of the directory by its code (None when none is chosen); an unknown code is a
    field error, found before anything costly (a password hash) is done."""

    def process(self, formdata, data=None, extra_filters=None):
        super().process(formdata, data, extra_filters)
        values = formdata if formdata else {}
        self.step = str(values.get(f"{self.name}_step", ""))[:16]
        self.at = str(values.get(f"{self.name}_at", "")).strip()[:64]
        # Bounded before it is cleaned; a longer query is refused with a message, not cut.
        self.query = clean_text(str(values.get(f"{self.name}_q", ""))[:1000])
        page = str(values.get(f"{self.name}_page", ""))
        self.page = min(int(page), MAX_PAGE) if page.isdigit() and len(page) < 8 else 0
        self.sent = bool(formdata)

    def process_formdata(self, valuelist):
        self.data = (valuelist[0] or "").strip() or None if valuelist else None

    def pre_validate(self, form) -> None:
        if self.data is None:
            return
        if len(self.data) > 64 or db.session.scalar(select(Unit.id).where(Unit.code == self.data)) is None:
            raise ValidationError(UNKNOWN_UNIT)

    @property
    def stepping(self) -> bool:
        """Is this a step of the picker (show the form again, save nothing) rather than the
        form being sent?"""
        return self.sent and (self.step in STEPS or bool(self.query and not self.data))

    def picker(self) -> PickerView:
        index = directory_index()
        chosen = index.get(self.data)
        view = PickerView(selected=chosen.code if chosen else None, selected_label=chosen.label if chosen else "")
        at = index.get(self.at)
        if self.at and at is None:
            view.notice = "Không tìm thấy đơn vị đang xem trong danh mục; danh sách bắt đầu lại từ cấp cao nhất."
        elif not self.at and not self.stepping:
            # A fresh form: the chosen unit among its siblings, else the province's units.
            at = index.get(chosen.parent_code) if chosen else index.top()
        page = self.page
        if self.step == "down":
            if chosen is None:
                view.notice = "Hãy chọn một đơn vị trong danh sách, rồi bấm “Xem đơn vị trực thuộc”."
            elif not chosen.children:
                view.notice = f"{chosen.name} không có đơn vị trực thuộc."
            else:
                at, page = chosen, 0
        elif self.step == "up":
            at, page = index.get(at.parent_code) if at else None, 0
        elif self.step in ("next", "prev"):
            page += 1 if self.step == "next" else -1
        view.at = at
        searching = self.step == "search" or (self.stepping and self.step not in STEPS)
        if not (searching and self._search(view)):
            self._level(view, page)
        if chosen and all(code != chosen.code for code, _label in view.options):
            view.options.insert(0, (chosen.code, chosen.label))
        return view

    def _search(self, view: PickerView) -> bool:
        """The search box's matches as the options; False (and a notice) for no usable query."""
        problem = query_problem(self.query)
        if problem:
            view.notice = problem
            return False
        found, total = directory_index().search(self.query)
        view.options = [(entry.code, entry.label) for entry in found]
        if not found:
            view.notice = f"Không tìm thấy đơn vị nào khớp với “{self.query}”."
        elif total > len(found):
            view.notice = (f"Có {total} đơn vị khớp với “{self.query}”; đây là {len(found)} đơn vị đầu, "
                           "hãy gõ thêm để thu hẹp.")
        else:
            view.notice = f"Có {total} đơn vị khớp với “{self.query}”: chọn trong danh sách."
        return True

    def _level(self, view: PickerView, page: int) -> None:
        at = view.at
        index = directory_index()
        parent = at.code if at else None
        view.pages = max(1, math.ceil(index.level_size(parent) / LEVEL_PAGE))
        view.page = max(0, min(page, view.pages - 1))
        entries, _total = index.level(parent, view.page * LEVEL_PAGE)
        if at:
            view.options.append((at.code, f"{at.name} (đơn vị đang xem)"))
        view.options.extend((entry.code, f"{entry.name} ({entry.children})" if entry.children else entry.name)
                            for entry in entries)
