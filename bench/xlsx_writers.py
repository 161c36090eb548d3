"""Benchmark: xlsx writers on the rows of a national round's ranking export, without a database.

    .venv/bin/python bench/xlsx_writers.py [--rows 100000] [--repeat 3] [--no-openpyxl]

Builds ``--rows`` rows shaped as judging/rows.py makes them (place, Vietnamese name, phone,
unit, numbers, a local time, an award, the attempt's number and id; the header first) once,
then writes them --repeat times with each writer into memory and reports the median wall time,
the process CPU time and the file size:

- the official ranking sheet of quizapp/judging/workbook.py (what exports use since issue 15): the
  rows typed (date-times, numbers, the minutes column, the judges' decisions) and written with
  styles, a frozen bold header, a filter and column widths, plus its title sheet's writer;
- the hand-written sheet XML of quizapp/judging/xlsx.py at zlib level 1 (the plain one sheet) and 6;
- openpyxl's write-only mode (requirements.txt pins it; the exports used it before issue 13);
- xlsxwriter's constant-memory mode, when it can be imported (it is not a requirement: install it
  anywhere on PYTHONPATH to compare, e.g. ``pip install --target /tmp/xw xlsxwriter==3.2.0`` and
  ``PYTHONPATH=/tmp/xw``).

A 100,000-row export is a round of 200,000 attempts (two each); rows are made safe first, as
the exports do.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from itertools import chain
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quizapp.judging import xlsx  # noqa: E402
from quizapp.judging.rows import HEADER  # noqa: E402
from quizapp.judging.workbook import MINUTES_HEADER, STANDARD_WIDTHS, official_row  # noqa: E402

NAMES = ["Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Hoàng Long", "Phạm Thu Hà & Co", "Đỗ Minh Quân"]
UNITS = ["Xã Tân Lập", "Phường Hoà Bình", "", "Thị trấn Cát Bà"]


def rows(count: int) -> list[list[object]]:
    made = []
    for place in range(1, count + 1):
        made.append([place, f"{NAMES[place % 5]} {place}", f"09{place:08d}", UNITS[place % 4], 16 + place % 5,
                     5000 + place % 20 * 250 if place % 10 else "", 120 + place % 400 if place % 10 else "",
                     round(300 + place % 20 * 30.5, 3), f"0{1 + place % 6}/12/2026 09:{place % 60:02d}:13.551",
                     "Giải Nhất" if place == 1 else "", 1 + place % 2, place * 2])
    return made


def sheet_xml(level: int):
    def write(table, stream):
        previous, xlsx.COMPRESSION = xlsx.COMPRESSION, level
        try:
            xlsx.write_xlsx(table, stream, "Xếp hạng")
        finally:
            xlsx.COMPRESSION = previous
    return write


def official(table, stream):
    """As judging/workbook.write_ranking_xlsx writes a round's rows, without the database (the
    judges' decisions are a handful of rows read once; the title sheet is a dozen)."""
    rows = iter(table)
    header = [*next(rows), MINUTES_HEADER, "Giải do BGK quyết định: lý do"]
    marks = {2: "Giải Ba: lý do"}
    with xlsx.Workbook(stream) as book:
        book.add_sheet("Xếp hạng", chain([header], (official_row(row, marks) for row in rows)), header=True,
                       widths=[*STANDARD_WIDTHS, 12, 40])
        book.add_sheet("Thông tin", [["Cuộc thi", "Cuộc thi tìm hiểu"]], widths=(34, 90))


def openpyxl_write_only(table, stream):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Xếp hạng")
    for row in table:
        sheet.append([None if value == "" else value for value in row])
    workbook.save(stream)


def xlsxwriter_constant_memory(table, stream):
    import xlsxwriter

    workbook = xlsxwriter.Workbook(stream, {"constant_memory": True, "strings_to_formulas": False,
                                            "strings_to_numbers": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet("Xếp hạng")
    for number, row in enumerate(table):
        sheet.write_row(number, 0, [None if value == "" else value for value in row])
    workbook.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-openpyxl", action="store_true", help="skip openpyxl (about 10 s per 100,000 rows)")
    args = parser.parse_args()
    table = [HEADER, *rows(args.rows)]
    writers = [("official sheet (exports)", official), ("plain sheet XML, zlib 1", sheet_xml(1)),
               ("plain sheet XML, zlib 6", sheet_xml(6))]
    if not args.no_openpyxl:
        writers.append(("openpyxl write-only", openpyxl_write_only))
    try:
        import xlsxwriter  # noqa: F401

        writers.append(("xlsxwriter constant-memory", xlsxwriter_constant_memory))
    except ImportError:
        print("xlsxwriter not importable: not measured")
    for label, write in writers:
        walls, cpus, size = [], [], 0
        for _ in range(args.repeat):
            stream = io.BytesIO()
            began, cpu = time.perf_counter(), time.process_time()
            write(iter(table), stream)
            walls.append(time.perf_counter() - began)
            cpus.append(time.process_time() - cpu)
            size = len(stream.getvalue())
        print(f"{label}: median {statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU, "
              f"{size / 1e6:.1f} MB file ({args.rows:,} rows; load {os.getloadavg()[0]:.1f})")
    print(f"machine: {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
