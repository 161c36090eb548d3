"""Options that name other options, so their order must be kept ("Tất cả các ý trên").

A taker shown "Tất cả các ý trên" as option A, or "Cả A và B đều đúng" when A and B have been
shuffled elsewhere, is shown a question that no longer makes sense (DESIGN §3 rule 2 allows
such questions to keep the bank's order). The patterns below are what Vietnamese banks write,
compared after folding case and accents (organisers also type "Tat ca cac y tren"):

1. a noun for the options followed by "trên" (above): "Tất cả các ý trên", "Các phương án
   trên đều sai", "Cả ba đáp án trên", "Không phải các câu trả lời trên", "Cả hai trường hợp
   nêu trên";
2. all or a count of the options, alone or with a noun or a verdict: "Tất cả", "Cả hai",
   "Tất cả đều đúng", "Cả ba đều sai", "Cả hai phương án đều đúng";
3. "no option is right": "Không có đáp án nào đúng", "Không phương án nào", "Không có ý nào
   đúng";
4. option letters: two or more, joined by "và", "hoặc", commas ("Cả A và B đều đúng", "Cả 2
   đáp án A và B", "Cả A, B, C", "A và B đúng", "Đáp án A và C"), or a single letter with
   a verdict after an option noun ("Chỉ có đáp án A đúng"). A letter counts only at the
   start of the option or after one of the words that name options ("cả", "chỉ", "đáp án",
   "phương án", "ý", "câu"), so "Vitamin A và C" or "Nhóm máu A và B" are ordinary options;
   a bare "A và B" is taken as a reference;
5. English, as Moodle files from elsewhere write it: "All of the above", "None of these",
   "Both A and B".

An ordinary option that merely contains "trên" ("Trên biển Đông"), "tất cả" ("Tất cả công
dân"), "không có" ("Không có quy định") or a capital letter is not a reference; the tests list
both sides.
"""

from __future__ import annotations

import re
import unicodedata

# Words a bank uses for its options ("ý", "đáp án", "phương án", …).
_NOUN = (r"(?:ý kiến|ý|đáp án|phương án|câu trả lời|câu|lựa chọn|nhận định|khẳng định|phát biểu"
         r"|trường hợp|nội dung)")
# The narrower set for "none of them": "Không có trường hợp nào" is an ordinary answer.
_ANSWER_NOUN = r"(?:ý|đáp án|phương án|câu trả lời|câu|lựa chọn|nhận định|khẳng định|phát biểu)"
# Not "năm": "Cả năm" is "all year round".
_COUNT = r"(?:hai|ba|bốn|2|3|4|5)"
_LETTER = r"[a-h]"
_JOIN = r"(?:\s*[,;&+/]\s*|\s+(?:và|hoặc|với|and|or)\s+)"
_VERDICT = r"(?:\s+(?:đều\s+)?(?:đúng|sai|chính xác|hợp lý)(?:\s+cả)?)"
# Words after which a letter names an option: "Cả A và B", "Đáp án A và C", "Ý a, b đúng".
_LEAD = (rf"(?:cả|chỉ|chỉ có|cả {_COUNT}|{_NOUN}|các {_NOUN}|cả {_COUNT} {_NOUN}|cả {_NOUN}"
         rf"|chỉ có {_NOUN}|both)")

_SOURCES = [
    # 1. "… các ý trên", "… phương án nêu trên", "… đáp án ở trên đây"
    rf"\b{_NOUN}\s+(?:(?:nêu|ở|kể)\s+)?trên(?:\s+đây)?\b",
    # 2. "Tất cả đều đúng", "Cả ba đều sai", "Cả hai phương án đều đúng", "Cả hai", "Tất cả"
    rf"^(?:tất cả|cả {_COUNT})(?:\s+(?:các\s+)?{_NOUN})?{_VERDICT}?$",
    rf"^cả(?:\s+các)?\s+{_NOUN}{_VERDICT}?$",
    r"^(?:cả|đều)(?:\s+đều)?\s+(?:đúng|sai)$",
    # 3. "Không có đáp án nào đúng", "Không phương án nào", "Không có ý nào đúng cả"
    rf"^không\s+(?:có\s+)?{_ANSWER_NOUN}\s+nào(?:{_VERDICT}|\s+(?:ở\s+)?trên)?$",
    # 4. letters: "Cả A và B đều đúng", "A, B, C", "Đáp án A và C", "Cả 2 đáp án A và B"
    rf"^(?:{_LEAD}\s+)?{_LETTER}(?:{_JOIN}{_LETTER})+{_VERDICT}?$",
    #    one letter needs an option word and a verdict: "Chỉ có đáp án A đúng", "Chỉ A đúng"
    rf"^{_LEAD}\s+{_LETTER}{_VERDICT}$",
    #    numbered options, only after an option word: "Cả 1 và 2", "Đáp án 1, 3 đúng"
    rf"^(?:cả|{_NOUN}|cả {_NOUN}|cả {_COUNT} {_NOUN})\s+[1-8](?:{_JOIN}[1-8])+{_VERDICT}?$",
    # 5. English
    r"\b(?:all|none|both|neither|any)\s+of\s+(?:the\s+)?(?:above|these|those)\b",
    r"^(?:all|none)\s+(?:are|is)\s+(?:correct|true|right|wrong|false)$",
]

_PUNCTUATION = re.compile(r"[.!?:…\"'“”()\[\]]+")
_SPACE = re.compile(r"\s+")


def _without_marks(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


# The patterns as written, for text typed with its marks; and without marks, for text typed
# without any ("Tat ca cac y tren"). Text with marks is never matched against the bare
# patterns: "Cầu trên sông Hàn" would otherwise read as "câu trên".
_MARKED = [re.compile(source) for source in _SOURCES]
_BARE = [re.compile(_without_marks(source)) for source in _SOURCES]


def _plain(text: str) -> str:
    """Lower case, NFC, no sentence punctuation, single spaces."""
    text = unicodedata.normalize("NFC", text.casefold())
    return _SPACE.sub(" ", _PUNCTUATION.sub(" ", text)).strip()


def names_other_options(option: str) -> bool:
    """Does this option refer to other options, so that shuffling would break it?"""
    text = _plain(option)
    patterns = _BARE if text == _without_marks(text) else _MARKED
    return bool(text) and any(pattern.search(text) for pattern in patterns)


def option_naming_others(options: list[str]) -> int | None:
    """The index of the first option that names others, or None."""
    return next((index for index, option in enumerate(options) if names_other_options(option)), None)
