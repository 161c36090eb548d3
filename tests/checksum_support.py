"""A locked round's checksum recomputed from its ranking CSV alone, as anyone outside would:
nothing of quizapp's own hashing is used (DESIGN §7 "Checksums")."""

from __future__ import annotations

import csv
import hashlib
import io

SCHEME_ROWS = "sha256-rows-v1"


def csv_checksum(exported: bytes) -> tuple[str, list[list[str]]]:
    """Check every row's digest that still has its salt, recompute the published checksum from
    the row digests and check it against the last line. Returns it and the rows (without the
    salt and digest columns)."""
    header, *rows, scheme, footer = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    assert header[-2:] == ["Muối", "Mã băm dòng"]
    assert scheme[1] == SCHEME_ROWS
    digests, cells = [], []
    for row in rows:
        *values, salt, digest = row
        if salt:
            assert hashlib.sha256("\x1f".join([salt, *values]).encode()).hexdigest() == digest, row
        digests.append(digest)
        cells.append(values)
    checksum = hashlib.sha256("\n".join(digests).encode()).hexdigest()
    assert footer[1] == checksum
    return checksum, cells
