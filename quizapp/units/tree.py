"""The units directory as a tree: which district a unit is in, and a district's headcount.

The directory is loaded from a file and its depth differs from one installation to the next
(province → district → commune, or departments), so it is walked here rather than in SQL; it
holds hundreds of rows, never the attempts. A "district" is a unit at the top of the
directory, or one level below when the directory has a single root (the province).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from quizapp.extensions import db
from quizapp.units.models import Unit


@dataclass(frozen=True)
class Node:
    id: int
    code: str
    name: str
    parent_id: int | None
    headcount: int | None


class Directory:
    """The directory walked once, top down, with no recursion: whatever depth or loop an older
    directory holds (the loader now refuses both), every page that uses it answers."""

    def __init__(self, nodes: dict[int, Node]) -> None:
        self.nodes = nodes
        self.children: dict[int | None, list[int]] = {}
        for node in nodes.values():
            parent = node.parent_id if node.parent_id in nodes else None
            self.children.setdefault(parent, []).append(node.id)
        roots = self.children.get(None, [])
        # One root with units below it is the province: its children are the districts.
        self.root = nodes[roots[0]] if len(roots) == 1 and roots[0] in self.children else None
        self.districts = set(self.children[self.root.id] if self.root else roots)
        # Parents before children, each unit once; units on a loop are never reached.
        self.top_down: list[int] = []
        self._district: dict[int, int] = {}
        queue = list(roots)
        for unit_id in queue:  # the list grows as it is read: a breadth-first walk
            self.top_down.append(unit_id)
            parent = nodes[unit_id].parent_id
            self._district[unit_id] = (unit_id if unit_id in self.districts or parent not in self._district
                                       else self._district[parent])
            queue.extend(self.children.get(unit_id, []))
        self._headcounts = self._sum_headcounts()

    @classmethod
    def load(cls) -> Directory:
        return cls({row.id: Node(*row) for row in db.session.execute(
            select(Unit.id, Unit.code, Unit.name, Unit.parent_id, Unit.headcount))})

    def district_of(self, unit_id: int) -> int:
        """The district ``unit_id`` is in, or the root itself (a unit on a loop: itself)."""
        return self._district.get(unit_id, unit_id)

    def headcount(self, unit_id: int) -> int | None:
        """A unit's own headcount, else the sum of its children's when every one of them is known."""
        return self._headcounts.get(unit_id, self.nodes[unit_id].headcount)

    def _sum_headcounts(self) -> dict[int, int | None]:
        totals: dict[int, int | None] = {}
        for unit_id in reversed(self.top_down):  # children before their parents
            own = self.nodes[unit_id].headcount
            if own is not None:
                totals[unit_id] = own
                continue
            below = [totals[child] for child in self.children.get(unit_id, [])]
            totals[unit_id] = sum(below) if below and None not in below else None
        return totals

    def roll_up(self, counted: dict[int | None, tuple[int, ...]]) -> dict[int, tuple[int, ...]]:
        """Counts per unit added up per district (people belong to one unit, so people add up).
        The root, if people chose it, keeps its own entry; units with no people are left out."""
        totals: dict[int, tuple[int, ...]] = {}
        for unit_id, counts in counted.items():
            if unit_id is None:
                continue
            top = self.district_of(unit_id)
            before = totals.get(top)
            totals[top] = counts if before is None else tuple(a + b for a, b in zip(before, counts, strict=True))
        return totals
