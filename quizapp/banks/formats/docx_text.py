"""A Word (.docx) document as lines of text that remember their formatting and pictures.

Both the question reader (``word.py``) and the answer-key reader (``keyfile.py``) need the
same view of a document: paragraphs in reading order (tables included), each split at its
soft line breaks, every character knowing whether it is bold, underlined, italic, coloured or
highlighted *as Word shows it* (direct formatting over the character style over the
paragraph style), and automatic list numbers ("Câu 1:", "A.") written out as Word prints
them. python-docx opens the package and its parts; the body is walked with lxml directly,
because python-docx's proxies cost too much on a 2,000-question file and hide the paragraph
mark's formatting that Word uses for automatic numbers.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from docx.oxml.ns import qn
from flask import current_app, has_app_context

from quizapp.banks.formats.common import BankFileError
from quizapp.config import DEFAULTS
from quizapp.formatting import number as vietnamese_number

W_VAL = qn("w:val")
_P, _R, _T, _TAB, _BR, _CR, _TBL, _TR, _TC = (qn(f"w:{name}") for name in ("p", "r", "t", "tab", "br", "cr",
                                                                              "tbl", "tr", "tc"))
_SDT, _SDT_CONTENT, _NO_BREAK_HYPHEN = qn("w:sdt"), qn("w:sdtContent"), qn("w:noBreakHyphen")
_PPR, _RPR, _PSTYLE, _RSTYLE, _NUMPR = qn("w:pPr"), qn("w:rPr"), qn("w:pStyle"), qn("w:rStyle"), qn("w:numPr")
_BLIP_EMBED, _IMAGEDATA_ID = qn("r:embed"), qn("r:id")
_BLIP, _IMAGEDATA = qn("a:blip"), "{urn:schemas-microsoft-com:vml}imagedata"
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_OFF = {"0", "false", "off", "none"}
_MB = 1024 * 1024


@dataclass
class Picture:
    name: str
    data: bytes | None  # None: linked from outside the file, or its part is missing


@dataclass
class Line:
    """One line of a paragraph (a paragraph with soft breaks gives several)."""

    paragraph: int  # 1-based, counting every paragraph in reading order, tables included
    text: str = ""
    # (start, end, marks) for the characters of ``text``; marks such as "b", "u", "i",
    # "color:FF0000", "hl:yellow".
    spans: list[tuple[int, int, frozenset[str]]] = field(default_factory=list)
    pictures: list[Picture] = field(default_factory=list)
    heading: bool = False

    def add(self, text: str, marks: frozenset[str]) -> None:
        if text:
            self.spans.append((len(self.text), len(self.text) + len(text), marks))
            self.text += text

    @property
    def blank(self) -> bool:
        return not self.text.strip() and not self.pictures

    def marks_of(self, start: int, end: int, *, whole: bool) -> frozenset[str]:
        """Marks carried by the visible characters of ``text[start:end]``: by all of them
        (``whole``), or by at least half of them (a stray space or dot left plain)."""
        counts: dict[str, int] = {}
        visible = 0
        for span_start, span_end, marks in self.spans:
            low, high = max(start, span_start), min(end, span_end)
            if low >= high:
                continue
            seen = sum(1 for char in self.text[low:high] if not char.isspace())
            visible += seen
            for mark in marks:
                counts[mark] = counts.get(mark, 0) + seen
        if not visible:
            return frozenset()
        need = visible if whole else (visible + 1) // 2
        return frozenset(mark for mark, count in counts.items() if count >= need)


@dataclass
class Table:
    paragraph: int  # the first paragraph inside it
    # rows of cells, each cell its lines
    rows: list[list[list[Line]]]

    def lines(self) -> list[Line]:
        return [line for row in self.rows for cell in row for line in cell]

    def cell_texts(self) -> list[list[str]]:
        return [[" ".join(line.text for line in cell).strip() for cell in row] for row in self.rows]


@dataclass(frozen=True)
class ArchiveLimits:
    members: int
    uncompressed_bytes: int
    compression_ratio: float


def archive_limits() -> ArchiveLimits:
    """The BANK_XLSX_* zip limits (a .docx is a zip like an .xlsx), or their defaults outside an app."""
    config = current_app.config if has_app_context() else DEFAULTS

    def setting(name: str) -> object:
        return config.get(name, DEFAULTS[name])

    return ArchiveLimits(int(setting("BANK_XLSX_MAX_MEMBERS")), int(setting("BANK_XLSX_MAX_UNCOMPRESSED_BYTES")),
                         float(setting("BANK_XLSX_MAX_COMPRESSION_RATIO")))


def check_archive(data: bytes, limits: ArchiveLimits) -> None:
    """Refuse, before anything is inflated, a .docx that would cost more than a Word file
    should: too many parts, too many bytes inflated, or a part that inflates like a zip bomb."""
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise BankFileError(1, "đây là tệp Word 97–2003 (.doc); hãy mở bằng Word và lưu thành .docx")
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except Exception:  # noqa: BLE001 - any damage: the file is not a Word document
        raise BankFileError(1, "không đọc được tệp Word .docx (tệp hỏng hoặc không phải .docx); "
                               "hãy mở bằng Word và lưu lại") from None
    if len(members) > limits.members:
        raise BankFileError(0, f"tệp Word có {vietnamese_number(len(members))} thành phần, quá mức cho phép "
                               f"({vietnamese_number(limits.members)}); hãy chia thành nhiều tệp nhỏ hơn")
    total = sum(member.file_size for member in members)
    if total > limits.uncompressed_bytes:
        raise BankFileError(0, f"tệp Word khi giải nén chiếm {total // _MB} MB, quá mức cho phép "
                               f"({limits.uncompressed_bytes // _MB} MB); hãy chia thành nhiều tệp nhỏ hơn "
                               "hoặc giảm kích thước hình")
    for member in members:
        if member.file_size > _MB and member.file_size > limits.compression_ratio * max(member.compress_size, 1):
            raise BankFileError(0, f"tệp Word bị nén bất thường ({member.filename}); tệp có thể bị hỏng "
                                   "hoặc độc hại, hãy mở và lưu lại bằng Word")


def open_document(data: bytes, limits: ArchiveLimits):
    """The python-docx Document, or BankFileError for anything that is not a readable .docx."""
    import docx

    check_archive(data, limits)
    try:
        return docx.Document(io.BytesIO(data))
    except Exception as error:  # noqa: BLE001 - not a docx, damaged XML, missing parts: all unreadable
        raise BankFileError(1, f"không đọc được tệp Word .docx ({type(error).__name__}); "
                               "hãy mở bằng Word và lưu lại") from None


# --- formatting ---------------------------------------------------------------------------


def _on(element) -> bool:
    return element.get(W_VAL, "true").casefold() not in _OFF


def _rpr_props(rpr) -> dict[str, object]:
    """The run properties ``rpr`` sets explicitly, those that can mark an answer."""
    props: dict[str, object] = {}
    if rpr is None:
        return props
    for child in rpr:
        tag = child.tag
        if tag == _RSTYLE:
            props["style"] = child.get(W_VAL)
        elif tag == qn("w:b"):
            props["b"] = _on(child)
        elif tag == qn("w:i"):
            props["i"] = _on(child)
        elif tag == qn("w:u"):
            props["u"] = child.get(W_VAL, "single").casefold() != "none"
        elif tag == qn("w:color"):
            value = (child.get(W_VAL) or "auto").upper()
            theme = child.get(qn("w:themeColor"))
            props["color"] = None if value in ("AUTO", "000000") and not theme else (
                value if value != "AUTO" else f"theme:{theme}")
        elif tag == qn("w:highlight"):
            value = child.get(W_VAL, "none")
            props["hl"] = None if value.casefold() == "none" else value
        elif tag == qn("w:shd"):
            fill = (child.get(qn("w:fill")) or "auto").upper()
            props["shd"] = None if fill in ("AUTO", "FFFFFF") else fill
    return props


def _marks(props: dict[str, object]) -> frozenset[str]:
    marks = [name for name in ("b", "u", "i") if props.get(name)]
    if props.get("color"):
        marks.append(f"color:{props['color']}")
    highlight = props.get("hl") or props.get("shd")
    if highlight:
        marks.append(f"hl:{highlight}")
    return frozenset(marks)


class _Styles:
    """Run properties each style gives, following ``basedOn``; and which styles are headings."""

    def __init__(self, document) -> None:
        self._elements = {}
        try:
            for style in document.styles.element.findall(qn("w:style")):
                self._elements[style.get(qn("w:styleId"))] = style
        except Exception:  # noqa: BLE001 - a document without a readable styles part: no styles
            self._elements = {}
        self._props: dict[str | None, dict[str, object]] = {None: {}}
        self._numbering: dict[str | None, tuple[str, str] | None] = {None: None}

    def props(self, style_id: str | None) -> dict[str, object]:
        if style_id not in self._props:
            self._props[style_id] = {}  # a loop of basedOn ends here
            chain, seen, current = [], set(), self._elements.get(style_id)
            while current is not None and id(current) not in seen:
                seen.add(id(current))
                chain.append(current)
                based = current.find(qn("w:basedOn"))
                current = self._elements.get(based.get(W_VAL)) if based is not None else None
            merged: dict[str, object] = {}
            for style in reversed(chain):
                merged.update(_rpr_props(style.find(_RPR)))
            merged.pop("style", None)
            self._props[style_id] = merged
        return self._props[style_id]

    def is_heading(self, style_id: str | None) -> bool:
        style = self._elements.get(style_id)
        if style is None:
            return False
        name = style.find(qn("w:name"))
        label = (name.get(W_VAL) if name is not None else style_id or "").casefold()
        # Built-in heading styles keep their English names inside the file whatever the UI language.
        return label.startswith(("heading", "tiêu đề", "tieu de"))

    def numbering(self, style_id: str | None) -> tuple[str, str] | None:
        """(numId, ilvl) of a list style a paragraph style carries."""
        if style_id not in self._numbering:
            self._numbering[style_id] = None
            style = self._elements.get(style_id)
            ppr = style.find(_PPR) if style is not None else None
            found = _num_pr(ppr)
            if found is None and style is not None and (based := style.find(qn("w:basedOn"))) is not None:
                found = self.numbering(based.get(W_VAL))
            self._numbering[style_id] = found
        return self._numbering[style_id]


def _num_pr(ppr) -> tuple[str, str] | None:
    numpr = ppr.find(_NUMPR) if ppr is not None else None
    if numpr is None:
        return None
    num_id, ilvl = numpr.find(qn("w:numId")), numpr.find(qn("w:ilvl"))
    return (num_id.get(W_VAL) if num_id is not None else None,
            ilvl.get(W_VAL, "0") if ilvl is not None else "0")


# --- automatic numbering ------------------------------------------------------------------

_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
          (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))


def _format_number(value: int, kind: str) -> str | None:
    if kind in ("upperLetter", "lowerLetter"):
        letters = chr(ord("A") + (value - 1) % 26) * ((value - 1) // 26 + 1) if value > 0 else ""
        return letters if kind == "upperLetter" else letters.lower()
    if kind in ("upperRoman", "lowerRoman"):
        roman, rest = "", max(value, 0)
        for amount, digits in _ROMAN:
            while rest >= amount:
                roman, rest = roman + digits, rest - amount
        return roman.upper() if kind == "upperRoman" else roman
    if kind == "bullet" or kind == "none":
        return None
    return str(value)  # decimal and the rest: digits are the best approximation


class _Numbering:
    """Writes out automatic list numbers as Word prints them ("Câu 3:", "B."); one counter
    set per list (numId), a higher level restarting the levels below it."""

    def __init__(self, document) -> None:
        self._levels: dict[str, dict[str, tuple[str, str, int]]] = {}
        self._counters: dict[str, dict[str, int]] = {}
        try:
            root = document.part.numbering_part.element
        except Exception:  # noqa: BLE001 - no numbering part: nothing is auto-numbered
            return
        abstracts = {}
        for abstract in root.findall(qn("w:abstractNum")):
            levels = {}
            for level in abstract.findall(qn("w:lvl")):
                fmt, text, start = level.find(qn("w:numFmt")), level.find(qn("w:lvlText")), level.find(qn("w:start"))
                levels[level.get(qn("w:ilvl"), "0")] = (
                    fmt.get(W_VAL, "decimal") if fmt is not None else "decimal",
                    text.get(W_VAL, "") if text is not None else "",
                    _int(start.get(W_VAL)) if start is not None else 1)
            abstracts[abstract.get(qn("w:abstractNumId"))] = levels
        for num in root.findall(qn("w:num")):
            abstract_id = num.find(qn("w:abstractNumId"))
            levels = dict(abstracts.get(abstract_id.get(W_VAL) if abstract_id is not None else None, {}))
            for override in num.findall(qn("w:lvlOverride")):
                start = override.find(qn("w:startOverride"))
                ilvl = override.get(qn("w:ilvl"), "0")
                if start is not None and ilvl in levels:
                    kind, text, _start = levels[ilvl]
                    levels[ilvl] = (kind, text, _int(start.get(W_VAL)))
            self._levels[num.get(qn("w:numId"))] = levels

    def label(self, num_id: str | None, ilvl: str) -> str | None:
        levels = self._levels.get(num_id)
        if not levels or ilvl not in levels:
            return None
        counters = self._counters.setdefault(num_id, {})
        counters[ilvl] = counters[ilvl] + 1 if ilvl in counters else levels[ilvl][2]
        for deeper in [level for level in counters if _int(level) > _int(ilvl)]:
            del counters[deeper]
        kind, text, _start = levels[ilvl]
        if kind in ("bullet", "none") or not text:
            return None
        for level, (level_kind, _text, start) in levels.items():
            placeholder = f"%{_int(level) + 1}"
            if placeholder in text:
                rendered = _format_number(counters.get(level, start), kind if level == ilvl else level_kind)
                text = text.replace(placeholder, rendered or "")
        return text


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


# --- the body -----------------------------------------------------------------------------


class DocumentReader:
    """Reads a document's body into a list of ``Line`` and ``Table`` in reading order."""

    def __init__(self, document) -> None:
        self.document = document
        self.styles = _Styles(document)
        self.numbering = _Numbering(document)
        self.paragraphs = 0
        self._related = {}
        try:
            self._related = document.part.related_parts
            self._rels = document.part.rels
        except Exception:  # noqa: BLE001
            self._rels = {}

    def read(self) -> list[Line | Table]:
        return self._blocks(self.document.element.body)

    def _blocks(self, container) -> list[Line | Table]:
        items: list[Line | Table] = []
        for child in container:
            if child.tag == _P:
                items.extend(self._paragraph(child))
            elif child.tag == _TBL:
                items.append(self._table(child))
            elif child.tag == _SDT:
                content = child.find(_SDT_CONTENT)
                if content is not None:
                    items.extend(self._blocks(content))
        return items

    def _table(self, element) -> Table:
        first = self.paragraphs + 1
        rows = []
        for row in element.findall(_TR):
            cells = []
            for cell in row.findall(_TC):
                lines: list[Line] = []
                for item in self._blocks(cell):
                    lines.extend(item.lines() if isinstance(item, Table) else [item])
                cells.append(lines)
            rows.append(cells)
        return Table(paragraph=first, rows=rows)

    def _paragraph(self, element) -> list[Line]:
        self.paragraphs += 1
        ppr = element.find(_PPR)
        style = ppr.find(_PSTYLE) if ppr is not None else None
        style_id = style.get(W_VAL) if style is not None else None
        base = self.styles.props(style_id)
        line = Line(self.paragraphs, heading=self.styles.is_heading(style_id))
        lines = [line]
        numbered = _num_pr(ppr) or self.styles.numbering(style_id)
        if numbered is not None:
            label = self.numbering.label(*numbered)
            if label:
                # Word prints an automatic number with the paragraph mark's formatting.
                mark_props = {**base, **_rpr_props(ppr.find(_RPR) if ppr is not None else None)}
                line.add(label + " ", _marks(mark_props))
        for run in element.iter(_R):
            if _in_fallback(run, element):
                continue
            props = _rpr_props(run.find(_RPR))
            marks = _marks({**base, **self.styles.props(props.pop("style", None)), **props})
            for child in run:
                tag = child.tag
                if tag == _T:
                    line.add(child.text or "", marks)
                elif tag == _TAB:
                    line.add("\t", marks)
                elif tag == _NO_BREAK_HYPHEN:
                    line.add("-", marks)
                elif tag in (_BR, _CR):
                    if child.get(qn("w:type"), "textWrapping") == "textWrapping":
                        line = Line(self.paragraphs, heading=line.heading)
                        lines.append(line)
                elif tag != _RPR:
                    line.pictures.extend(self._pictures(child))
        return lines

    def _pictures(self, element) -> list[Picture]:
        found = []
        for node in element.iter(_BLIP, _IMAGEDATA):
            if _in_fallback(node, element):
                continue
            rel_id = node.get(_BLIP_EMBED) if node.tag == _BLIP else node.get(_IMAGEDATA_ID)
            if not rel_id:
                continue
            rel = self._rels.get(rel_id)
            part = self._related.get(rel_id) if rel is not None and not rel.is_external else None
            if part is None:
                found.append(Picture(name=rel.target_ref if rel is not None else rel_id, data=None))
            else:
                found.append(Picture(name=PurePosixPath(str(part.partname)).name, data=part.blob))
        return found


def _in_fallback(node, stop) -> bool:
    """Inside mc:Fallback: the same content again for old readers (a picture twice)."""
    current = node.getparent()
    while current is not None and current is not stop:
        if current.tag == _FALLBACK:
            return True
        current = current.getparent()
    return False

