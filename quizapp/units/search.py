"""Finding a unit in the directory: search as you type, and the directory one level at a time.

A province's directory holds about 10,000 units, far too many for one <select> on a phone over
3G, so takers pick their unit by typing part of its name (with or without diacritics) or by
stepping down province → district → commune. Both read one ``DirectoryIndex``: every unit
with its folded name and the names of its ancestors, built once per directory version and kept
in this process (the directory changes a few times a year). bench/unit_picker.py measures it
at 10,000 units: built in well under a second, a search in a few milliseconds, where folding
every name again took over 100 ms a search and a stored folded column would still be scanned
whole (a match inside a name cannot use a B-tree index) and need a migration and a backfill.

The version (a count and two maxima over ``units``) is read again at most every
``UNIT_INDEX_CHECK_SECONDS`` (5), so a directory loaded by another process is seen within
seconds; a load in this process drops the index at once (``forget``). Never commits.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from quizapp.extensions import db
from quizapp.text import fold
from quizapp.units.models import Unit
from quizapp.units.tree import Directory

# A search answers with at most this many units; a level of the directory is shown this many
# at a time. Both keep a page and a JSON answer small on 3G whatever the directory holds.
SEARCH_LIMIT = 20
LEVEL_PAGE = 200
MAX_QUERY = 100
# Ancestors a label names: the loader's MAX_DEPTH (6) less the unit itself, so a directory
# loaded deeper before that cap (units/services.py) still gets short labels.
MAX_PATH = 5
PATH_SEPARATOR = " — "
_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d+")
_EXTENSION = "quizapp.unit_index"


def words(text: str | None) -> list[str]:
    """The folded words of a text: "Xã Tân-Lập" → ["xa", "tan", "lap"]."""
    return _WORD.findall(fold(text))


@dataclass(frozen=True)
class Entry:
    code: str
    name: str
    # Names of the ancestors, top first.
    path: tuple[str, ...]
    parent_code: str | None
    # Codes of the ancestors (as many as ``path`` names), for a search within one of them.
    ancestors: tuple[str, ...]
    children: int
    # " xa tan lap" and " xa tan lap huyen dan phuong thanh pho ha noi": a query word matches
    # where it follows a space, at the start of a word of the name or of an ancestor's name.
    name_key: str
    full_key: str
    # Name order, numbers by value, then the ancestors' names nearest first: the order of a
    # level and of ties ("Huyện Đan Phượng" before "Huyện Đan Phượng 2").
    order: tuple[str, ...]

    @property
    def label(self) -> str:
        """The unit and its ancestors, nearest first: "Xã Tân Lập — Huyện Đan Phượng — Hà Nội",
        so two communes of one name are told apart."""
        return PATH_SEPARATOR.join((self.name, *reversed(self.path)))

    def json(self) -> dict[str, object]:
        return {"code": self.code, "name": self.name, "path": list(self.path), "label": self.label,
                "children": self.children}


def query_problem(query: str) -> str | None:
    """Why a search text cannot be searched for, in Vietnamese; None when it can."""
    if len(query) > MAX_QUERY:
        return f"Từ khóa tìm dài quá {MAX_QUERY} ký tự."
    if not words(query):
        return "Nhập tên đơn vị cần tìm (chữ hoặc số), ví dụ: tan lap."
    return None


class DirectoryIndex:
    """Every unit of one version of the directory, ready to search and to list by level."""

    def __init__(self, directory: Directory, version: tuple[object, ...] = ()) -> None:
        self.version = version
        nodes = directory.nodes
        self.by_code: dict[str, Entry] = {}
        self._children: dict[str | None, list[str]] = {}
        entries: list[Entry] = []
        built: dict[int, Entry] = {}
        # Folded names of each unit and its nearest ancestors, nearest first.
        chains: dict[int, tuple[str, ...]] = {}
        for unit_id in directory.top_down:  # parents first: each path is the parent's and one more
            node = nodes[unit_id]
            parent = built.get(node.parent_id) if node.parent_id is not None else None
            name_key = " " + " ".join(words(node.name))
            chain = chains[unit_id] = (name_key, *chains[node.parent_id][:MAX_PATH]) if parent else (name_key,)
            entry = Entry(
                code=node.code, name=node.name,
                path=(*parent.path, parent.name)[-MAX_PATH:] if parent else (),
                parent_code=parent.code if parent else None,
                ancestors=(*parent.ancestors, parent.code)[-MAX_PATH:] if parent else (),
                children=len(directory.children.get(unit_id, ())),
                name_key=name_key,
                full_key="".join(chain),
                order=(_natural(name_key), *(_natural(key) for key in chain[1:])),
            )
            built[unit_id] = entry
            entries.append(entry)
            self.by_code[entry.code] = entry
        for entry in sorted(entries, key=lambda entry: (entry.order, entry.code)):
            self._children.setdefault(entry.parent_code, []).append(entry.code)
        self.entries = entries

    def get(self, code: str | None) -> Entry | None:
        return self.by_code.get(code) if code else None

    def level(self, parent: str | None, offset: int = 0, limit: int = LEVEL_PAGE) -> tuple[list[Entry], int]:
        """The units right below ``parent`` (the top units for None) in name order, one page of
        them, and how many there are."""
        codes = self._children.get(parent, [])
        return [self.by_code[code] for code in codes[offset:offset + limit]], len(codes)

    def level_size(self, parent: str | None) -> int:
        return len(self._children.get(parent, ()))

    def top(self) -> Entry | None:
        """The one top unit when the directory has a single root with units below it (the
        province), where stepping starts; None when there are several top units."""
        roots = self._children.get(None, [])
        only = self.by_code[roots[0]] if len(roots) == 1 else None
        return only if only is not None and only.children else None

    def search(self, query: str, within: str | None = None, offset: int = 0,
               limit: int = SEARCH_LIMIT) -> tuple[list[Entry], int]:
        """Units whose name (or name and ancestors) holds every word of ``query`` at the start
        of a word, ignoring case and diacritics, below the unit ``within`` if given; ``limit``
        of them from ``offset`` in the order below, and how many matched.

        Best first: the name itself, then names that start with the query, names holding it
        as a phrase, names holding each word, and last units matched through an ancestor
        ("tan lap dan phuong" finds Xã Tân Lập of Huyện Đan Phượng). Ties in name order.
        """
        tokens = [" " + token for token in words(query)]
        if not tokens:
            return [], 0
        phrase = "".join(tokens)
        # One pass per word, each over what the words before it left: list comprehensions
        # keep a search of 10,000 units to a few milliseconds.
        found = self.entries if within is None else [entry for entry in self.entries if within in entry.ancestors]
        for token in sorted(tokens, key=len, reverse=True):
            found = [entry for entry in found if token in entry.full_key]
        ranked = []
        for entry in found:
            name = entry.name_key
            if name == phrase:
                rank = 0
            elif name.startswith(phrase):
                rank = 1
            elif phrase in name:
                rank = 2
            elif all(token in name for token in tokens):
                rank = 3
            else:
                rank = 4
            ranked.append((rank, entry.order, entry.code, entry))
        ranked.sort(key=lambda row: row[:3])
        return [row[3] for row in ranked[offset:offset + limit]], len(ranked)


def _natural(key: str) -> str:
    """A sort key that puts "xa an phu 2" before "xa an phu 10"."""
    return _NUMBER.sub(lambda match: match.group().zfill(10), key)


_lock = threading.Lock()


def _version() -> tuple[object, ...]:
    """What changes whenever a unit is added, renamed or moved (every change sets updated_at)."""
    return tuple(db.session.execute(select(func.count(Unit.id), func.max(Unit.id), func.max(Unit.updated_at))).one())


def directory_index() -> DirectoryIndex:
    """This process's index of the directory; built again once a change is seen, which is at
    most ``UNIT_INDEX_CHECK_SECONDS`` after it (the version query scans the table: a few
    milliseconds at 10,000 units, more than a search, so not on every keystroke)."""
    now = time.monotonic()
    cached = current_app.extensions.get(_EXTENSION)
    if cached is not None and now - cached[2] < current_app.config["UNIT_INDEX_CHECK_SECONDS"]:
        return cached[1]
    version = _version()
    with _lock:
        cached = current_app.extensions.get(_EXTENSION)
        if cached is None or cached[0] != version:
            cached = (version, DirectoryIndex(Directory.load(), version), now)
        else:
            cached = (version, cached[1], now)
        current_app.extensions[_EXTENSION] = cached
    return cached[1]


def forget() -> None:
    """Drop this process's index (the directory was just loaded here)."""
    current_app.extensions.pop(_EXTENSION, None)
