"""Finding a person by what an admin or a judge types: a phone, whole or a piece of it, or a
piece of a name written with or without diacritics ("tran van binh" finds "Trần Văn Bình").

Names are compared folded (``quizapp.text.fold``); in SQL against ``User.search_key``, the
name folded when it was written, which PostgreSQL indexes by trigrams (migration 0016).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement

from quizapp.auth.models import User
from quizapp.phone import normalise_phone
from quizapp.text import clean_text, fold

# Longer than any name or phone: nothing longer can match, and it bounds the work.
MAX_QUERY = 120
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")


@dataclass(frozen=True)
class PersonQuery:
    """A search for people: by ``phone`` (digits, ``whole`` when a full number was typed)
    or by ``name`` (folded); exactly one of the two is set."""

    name: str = ""
    phone: str = ""
    whole: bool = False

    @classmethod
    def parse(cls, raw: str | None) -> PersonQuery | None:
        """The search ``raw`` asks for; None when it asks for nothing (blank)."""
        text = clean_text(raw)[:MAX_QUERY]
        if not text:
            return None
        number = normalise_phone(text)
        if number is not None:
            return cls(phone=number, whole=True)
        digits = _PHONE_SEPARATORS.sub("", text).removeprefix("+")
        if digits.isascii() and digits.isdigit():
            return cls(phone=digits)
        return cls(name=fold(text))

    def condition(self) -> ColumnElement[bool]:
        """The SQL test of an account (``users`` row)."""
        if self.whole:
            return User.phone == self.phone
        if self.phone:
            return User.phone.contains(self.phone, autoescape=True)
        return User.search_key.contains(self.name, autoescape=True)

    def matches(self, name: str, phone: str) -> bool:
        """The same test of a row read elsewhere (a locked ranking's snapshot), by its name as
        written and its phone."""
        if self.phone:
            return self.phone == phone if self.whole else self.phone in phone
        return self.name in fold(name)
