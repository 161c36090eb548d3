"""The units directory: loading it from CSV, and listing it as a tree. Never commits."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from sqlalchemy import select

from quizapp import audit
from quizapp.extensions import db
from quizapp.files import NotUtf8, decode_utf8, sniff_delimiter
from quizapp.text import clean_text
from quizapp.units import search
from quizapp.units.models import Unit

COLUMNS = ("code", "name", "parent_code", "headcount")
REQUIRED_COLUMNS = ("code", "name")
_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
# Province → district → commune is three; six leaves room for departments and their sections.
# A deeper directory is a mistake (or an attack: a 1,500-deep chain made every page that walks
# the tree fail), and the registration form indents each level.
MAX_DEPTH = 6
# No cell of a sound file comes near this (names stop at 255); a longer one is refused by its
# line before it is parsed further or echoed back.
MAX_CELL = 1000


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
class UnitsFile:
    rows: list[UnitRow]
    # Optional columns the file leaves out keep their current values on existing units.
    has_parent: bool
    has_headcount: bool
    errors: list[tuple[int, str]]
    # Codes of rows that had errors: a child naming one is not also an "unknown parent".
    codes_with_errors: set[str]


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
    parsed = _parse(data, filename)
    existing = {unit.code: unit for unit in db.session.scalars(select(Unit))}
    errors = parsed.errors + _check_parents(parsed, existing)
    if errors:
        raise UnitsFileError([f"{filename}:{line}: {message}" for line, message in sorted(errors)])
    report = _apply(parsed, existing)
    # A rename read at the same clock tick would leave the index's version as it was.
    search.forget()
    audit.record("units.loaded", "units", filename[:64], after={
        "created": report.created, "updated": report.updated, "unchanged": report.unchanged})
    return report


MAX_HEADCOUNT = 100_000_000
_HEADCOUNT = re.compile(r"[0-9]{1,9}")


def _parse(data: bytes, filename: str) -> UnitsFile:
    """Read the header and rows, collecting row errors as (line, message)."""
    try:
        text = decode_utf8(data)
    except NotUtf8 as error:
        raise UnitsFileError([f"{filename}:{error.line}: {error.message}"]) from None
    header_line = text.splitlines()[0] if text.strip() else ""
    if not header_line.strip():
        raise UnitsFileError([f"{filename}:1: thiếu dòng tiêu đề {','.join(COLUMNS)}"])
    delimiter = sniff_delimiter(header_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    first = _next_record(reader, 1)
    if isinstance(first, str):
        raise UnitsFileError([f"{filename}:1: {first}"])
    header = [column.strip().lower() for column in first or []]
    _check_header(header, filename)

    parsed = UnitsFile([], "parent_code" in header, "headcount" in header, [], set())
    first_seen: dict[str, int] = {}
    line = reader.line_num
    while True:
        start = line + 1
        record = _next_record(reader, start)
        if record is None:
            break
        if isinstance(record, str):
            # The csv module cannot go on past such a record; what came before is reported too.
            parsed.errors.append((start, record))
            break
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        too_long = [number for number, cell in enumerate(record, start=1) if len(cell) > MAX_CELL]
        if too_long:
            parsed.errors.append((start, f"ô thứ {', '.join(map(str, too_long))} dài quá {MAX_CELL} ký tự"))
            continue
        cells = dict(zip(header, record, strict=False))
        row, row_errors = _row(start, cells, len(record), len(header))
        parsed.errors.extend((start, message) for message in row_errors)
        code = cells.get("code", "").strip()
        if code in first_seen:
            parsed.errors.append((start, f"mã đơn vị {code} trùng với dòng {first_seen[code]}"))
            continue
        if code:
            first_seen[code] = start
        if row is None:
            if code:
                parsed.codes_with_errors.add(code)
        else:
            parsed.rows.append(row)
    if not first_seen and not parsed.errors:
        parsed.errors.append((2, "tệp không có dòng dữ liệu nào"))
    return parsed


def _next_record(reader, line: int) -> list[str] | str | None:
    """The next record; None at the end; a message when the csv module refuses it (a cell over
    its own limit of 128 KiB, for one)."""
    try:
        return next(reader)
    except StopIteration:
        return None
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            return f"ô dài quá {MAX_CELL} ký tự"
        return "dòng không đọc được theo định dạng CSV"


def _check_header(header: list[str], filename: str) -> None:
    errors = []
    if any(len(column) > MAX_CELL for column in header):
        raise UnitsFileError([f"{filename}:1: ô tiêu đề dài quá {MAX_CELL} ký tự"])
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
        errors.append(f"mã đơn vị “{code}” chỉ được gồm chữ không dấu, số và . _ - (tối đa 64 ký tự)")
    if not name:
        errors.append("thiếu tên đơn vị (name)")
    elif len(name) > 255:
        errors.append("tên đơn vị dài quá 255 ký tự")
    if parent_code is not None and parent_code == code:
        errors.append("đơn vị không thể là đơn vị cha của chính nó")
    headcount = None
    if headcount_text:
        if not _HEADCOUNT.fullmatch(headcount_text):
            errors.append(f"số người (headcount) “{headcount_text}” phải là số nguyên không âm, không quá 9 chữ số")
        elif int(headcount_text) > MAX_HEADCOUNT:
            errors.append(f"số người (headcount) {headcount_text} lớn quá mức cho phép ({MAX_HEADCOUNT:,})")
        else:
            headcount = int(headcount_text)
    if errors:
        return None, errors
    return UnitRow(line, code, name, parent_code, headcount), []


def _check_parents(parsed: UnitsFile, existing: dict[str, Unit]) -> list[tuple[int, str]]:
    """Unknown parents, cycles and levels beyond MAX_DEPTH, as the directory will be once the
    file is loaded; in time linear in the number of units (see ``walk_parents``)."""
    if not parsed.has_parent:
        return []  # no parent changes: the directory keeps its shape
    by_id = {unit.id: code for code, unit in existing.items()}
    parent_of = {code: by_id.get(unit.parent_id) for code, unit in existing.items()}
    parent_of.update({row.code: row.parent_code for row in parsed.rows})
    known = parent_of.keys() | parsed.codes_with_errors
    errors = []
    for row in parsed.rows:
        if row.parent_code and row.parent_code not in known:
            errors.append((row.line, f"mã đơn vị cha {row.parent_code} không có trong tệp hoặc danh mục"))
    line_of = {row.code: row.line for row in parsed.rows}
    depth, cyclic = walk_parents(parent_of)
    for code in cyclic:
        if code in line_of:
            errors.append((line_of[code], f"quan hệ cấp trên của {code} tạo thành vòng lặp"))
    # A unit too deep is reported on its own row, or, for a unit the file leaves out, on the
    # row of its nearest ancestor in the file (the change that pushed it down). Parents come
    # before their children in order of level, so each nearest row is known in one step.
    nearest: dict[str, str | None] = {}
    deepest: dict[str, int] = {}
    for code in sorted(depth, key=depth.__getitem__):
        parent = parent_of.get(code)
        nearest[code] = code if code in line_of else nearest.get(parent) if parent is not None else None
        if depth[code] > MAX_DEPTH and nearest[code] is not None:
            deepest[nearest[code]] = max(deepest.get(nearest[code], 0), depth[code])
    for code, level in deepest.items():
        what = f"đơn vị {code} ở cấp {level}" if depth[code] == level else \
            f"đơn vị cấp dưới của {code} xuống tới cấp {level}"
        errors.append((line_of[code], f"{what}; danh mục chỉ được tối đa {MAX_DEPTH} cấp"))
    return errors


def walk_parents(parent_of: dict[str, str | None]) -> tuple[dict[str, int], set[str]]:
    """The level of every code (1 for a top unit) and the codes on or above a cycle.

    Each code is walked over once: a walk stops at the first code already settled, so the
    whole directory costs time linear in its size, however deep. (A walk to the top from each
    code took 8 s for a chain of 8,000.) Parents that are not codes count as the top.
    """
    depth: dict[str, int] = {}
    cyclic: set[str] = set()
    for start in parent_of:
        path: list[str] = []
        on_path: set[str] = set()
        code: str | None = start
        while code is not None and code in parent_of and code not in depth and code not in cyclic:
            if code in on_path:
                break
            path.append(code)
            on_path.add(code)
            code = parent_of[code]
        if code in on_path or code in cyclic:
            # Everything walked reaches a cycle: it has no level.
            cyclic.update(path)
            continue
        level = depth[code] if code is not None and code in depth else 0
        for walked in reversed(path):
            level += 1
            depth[walked] = level
    return depth, cyclic


def _apply(parsed: UnitsFile, existing: dict[str, Unit]) -> LoadReport:
    report = LoadReport(codes=[row.code for row in parsed.rows])
    by_code = dict(existing)
    changed: set[str] = set()
    for row in parsed.rows:
        unit = by_code.get(row.code)
        if unit is None:
            by_code[row.code] = Unit(code=row.code, name=row.name, headcount=row.headcount)
            db.session.add(by_code[row.code])
            report.created += 1
            continue
        if unit.name != row.name:
            unit.name = row.name
            changed.add(row.code)
        if parsed.has_headcount and unit.headcount != row.headcount:
            unit.headcount = row.headcount
            changed.add(row.code)
    if parsed.has_parent:
        for row in parsed.rows:
            unit = by_code[row.code]
            parent = by_code[row.parent_code] if row.parent_code else None
            if unit.parent is not parent:
                unit.parent = parent
                if row.code in existing:
                    changed.add(row.code)
    report.updated = len(changed)
    report.unchanged = len(parsed.rows) - report.created - report.updated
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

