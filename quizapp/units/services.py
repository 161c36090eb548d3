"""The units directory: loading it from CSV, and listing it as a tree. Never commits."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from sqlalchemy import select

from quizapp.extensions import db
from quizapp.text import clean_text
from quizapp.units.models import Unit

COLUMNS = ("code", "name", "parent_code", "headcount")
REQUIRED_COLUMNS = ("code", "name")
_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


class UnitsFileError(Exception):
    """A units file with bad rows; ``errors`` holds every one as ``FILE:LINE: message``."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class UnitRow:
    line: int
    code: str
    name: str
    parent_code: str | None
    headcount: int | None


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    codes: list[str] = field(default_factory=list)


def load_units_csv(data: bytes, filename: str) -> LoadReport:
    """Create or update units from a CSV file's bytes, all or nothing.

    Columns ``code,name,parent_code,headcount`` (the last two optional), UTF-8 with or
    without BOM, comma or semicolon. Units not in the file are left as they are, so
    loading the same file twice changes nothing. Raises ``UnitsFileError`` listing every
    bad row, before anything is written.
    """
    rows = _parse(data, filename)
    existing = {unit.code: unit for unit in db.session.scalars(select(Unit))}
    _check_parents(rows, existing, filename)
    return _apply(rows, existing)


def _parse(data: bytes, filename: str) -> list[UnitRow]:
    errors: list[str] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UnitsFileError(
            [f"{filename}:{line}: tệp không ở mã UTF-8; hãy lưu lại tệp dạng 'CSV UTF-8'"]
        ) from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise UnitsFileError([f"{filename}:1: thiếu dòng tiêu đề {','.join(COLUMNS)}"])
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [column.strip().lower() for column in next(reader)]
    unknown = [column for column in header if column not in COLUMNS]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if unknown:
        errors.append(f"{filename}:1: cột không xác định: {', '.join(unknown)} (các cột: {', '.join(COLUMNS)})")
    if missing:
        errors.append(f"{filename}:1: thiếu cột: {', '.join(missing)}")
    if len(set(header)) != len(header):
        errors.append(f"{filename}:1: tên cột bị lặp")
    if errors:
        raise UnitsFileError(errors)

    rows: list[UnitRow] = []
    first_line: dict[str, int] = {}
    line = reader.line_num
    for record in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        row, row_errors = _row(start, dict(zip(header, record, strict=False)), len(record), len(header))
        errors.extend(f"{filename}:{start}: {message}" for message in row_errors)
        if row is None:
            continue
        if row.code in first_line:
            errors.append(f"{filename}:{start}: mã đơn vị {row.code} trùng với dòng {first_line[row.code]}")
            continue
        first_line[row.code] = start
        rows.append(row)
    if not rows and not errors:
        errors.append(f"{filename}:2: tệp không có dòng dữ liệu nào")
    if errors:
        raise UnitsFileError(errors)
    return rows


def _row(line: int, cells: dict[str, str], width: int, expected: int) -> tuple[UnitRow | None, list[str]]:
    errors: list[str] = []
    if width != expected:
        errors.append(f"có {width} ô, cần {expected} ô như dòng tiêu đề")
    code = cells.get("code", "").strip()
    name = clean_text(cells.get("name"))
    parent_code = cells.get("parent_code", "").strip() or None
    headcount_text = cells.get("headcount", "").strip()
    if not code:
        errors.append("thiếu mã đơn vị (code)")
    elif not _CODE.fullmatch(code):
        errors.append(f"mã đơn vị {code!r} chỉ được gồm chữ không dấu, số và . _ - (tối đa 64 ký tự)")
    if not name:
        errors.append("thiếu tên đơn vị (name)")
    elif len(name) > 255:
        errors.append("tên đơn vị dài quá 255 ký tự")
    if parent_code is not None and parent_code == code:
        errors.append("đơn vị không thể là đơn vị cha của chính nó")
    headcount = None
    if headcount_text:
        if headcount_text.isdigit():
            headcount = int(headcount_text)
        else:
            errors.append(f"số người (headcount) {headcount_text!r} phải là số nguyên không âm")
    if errors:
        return None, errors
    return UnitRow(line, code, name, parent_code, headcount), []


def _check_parents(rows: list[UnitRow], existing: dict[str, Unit], filename: str) -> None:
    # The parent each code will have once the file is loaded.
    parent_of = {code: (unit.parent.code if unit.parent else None) for code, unit in existing.items()}
    parent_of.update({row.code: row.parent_code for row in rows})
    errors = []
    for row in rows:
        if row.parent_code and row.parent_code not in parent_of:
            errors.append(
                f"{filename}:{row.line}: mã đơn vị cha {row.parent_code} không có trong tệp hoặc danh mục"
            )
            continue
        seen, code = {row.code}, row.parent_code
        while code is not None:
            if code in seen:
                errors.append(f"{filename}:{row.line}: quan hệ cấp trên của {row.code} tạo thành vòng lặp")
                break
            seen.add(code)
            code = parent_of.get(code)
    if errors:
        raise UnitsFileError(errors)


def _apply(rows: list[UnitRow], existing: dict[str, Unit]) -> LoadReport:
    report = LoadReport(codes=[row.code for row in rows])
    by_code = dict(existing)
    changed: set[str] = set()
    for row in rows:
        unit = by_code.get(row.code)
        if unit is None:
            unit = by_code[row.code] = Unit(code=row.code, name=row.name, headcount=row.headcount)
            db.session.add(unit)
            report.created += 1
            continue
        if (unit.name, unit.headcount) != (row.name, row.headcount):
            unit.name, unit.headcount = row.name, row.headcount
            changed.add(row.code)
    for row in rows:
        unit = by_code[row.code]
        parent = by_code[row.parent_code] if row.parent_code else None
        if unit.parent is not parent:
            unit.parent = parent
            changed.add(row.code)
    created = report.created
    report.updated = len(changed - {row.code for row in rows if row.code not in existing})
    report.unchanged = len(rows) - created - report.updated
    db.session.flush()
    return report


def unit_tree() -> list[tuple[Unit, int]]:
    """Every unit with its depth, parents before their children, siblings by code."""
    units = list(db.session.scalars(select(Unit).order_by(Unit.code)))
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    ordered: list[tuple[Unit, int]] = []
    stack = [(unit, 0) for unit in reversed(children.get(None, []))]
    while stack:
        unit, depth = stack.pop()
        ordered.append((unit, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(unit.id, [])))
    return ordered


def unit_tree_choices() -> list[tuple[str, str]]:
    """(code, label) pairs for a select box, indented by depth with non-breaking spaces."""
    return [(unit.code, "\u00a0\u00a0\u00a0" * depth + unit.name) for unit, depth in unit_tree()]
