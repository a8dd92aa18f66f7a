"""Word processor files: `.docx` (python-docx, its XML read directly) and `.odt` (odfpy).

Each paragraph of the file becomes a paragraph of text (blank-line separated), so a turn or
paragraph never depends on how the word processor wrapped its lines. Table rows are read in
place: a two-cell row `Claire | words` reads as `Claire : words`, a three-cell row
`00:12:04 | Claire | words` as a turn of Claire at that time (a header row above such rows is
left out).

What is not speech stays out of the text, and nothing goes without a word (``Parsed.notes``):
- tracked changes: the accepted text (insertions in, deletions out);
- comments: memos on their segment, anchored on the commented words;
- footnotes and endnotes: memos on their segment, anchored where their mark was;
- content controls (`w:sdt`): their text is read in place, placeholder text left out;
- headers and footers: kept in the document's meta, not in the text;
- hidden text and text boxes: left out, counted.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from typing import Any

from ..errors import InvalidInput
from ..zipguard import NotAZip, check_office_zip
from .anchors import Marked, join_marked, offset_map
from .base import Annotation, Parsed
from .turns import segment_text

BROKEN_HINT = "open it in a word processor and save it again, or export it as .txt"
# A time cell of a `time | speaker | text` table: `00:12:04`, `12:04`, `[00:12:04.5]`.
_TIME_CELL = re.compile(r"[\[(]?(\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)[\])]?")
MAX_SPEAKER_CELL = 30


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _is_time_row(cells: list[Marked]) -> bool:
    texts = [c.text for c in cells]
    return (len(texts) == 3 and _TIME_CELL.fullmatch(texts[0]) is not None
            and 0 < len(texts[1]) <= MAX_SPEAKER_CELL and not texts[1].endswith(":"))


def _cells(row: list[Marked]) -> list[Marked]:
    """A row's cells, whitespace squashed, empty ones and merged repeats dropped."""
    cells = [c.squashed() for c in row]
    return [c for i, c in enumerate(cells)
            if c.text and (i == 0 or c.text != cells[i - 1].text)]


def _row(cells: list[Marked], timed: bool) -> Marked:
    """One table row as one paragraph, its cells' marks kept."""
    out = Marked()
    if timed and _is_time_row(cells):
        time = _TIME_CELL.fullmatch(cells[0].text).group(1)  # type: ignore[union-attr]
        out.add(f"[{time}] ")
        out.extend(cells[1])
        out.add(" : ")
        out.extend(cells[2])
        return out
    if len(cells) == 2 and len(cells[0].text) <= 30 and not cells[0].text.endswith(":"):
        out.extend(cells[0])
        out.add(" : ")
        out.extend(cells[1])
        return out
    return join_marked(cells, " ")


def _table(rows: list[list[Marked]], counts: Counter[str]) -> list[Marked]:
    """Rows as paragraphs.

    A table is a `time | speaker | text` transcript when at least half its rows (a header row
    aside) are such rows and a speaker comes back or is an interviewer label: a timetable of
    fieldnotes (`08:00 | Accueil | Ouverture des portes`) names a new activity on each row.
    The header row above a transcript's rows is left out.
    """
    from ..textutil import norm_name
    from .turns import interviewer_keys

    cells = [_cells(row) for row in rows]
    speakers = Counter(norm_name(row[1].text) for row in cells if _is_time_row(row))
    timed = (bool(speakers) and sum(speakers.values()) * 2 >= len(cells) - 1
             and (max(speakers.values()) >= 2 or bool(set(speakers) & interviewer_keys())))
    if timed and not _is_time_row(cells[0]):
        cells = cells[1:]
        counts["table header"] += 1
    return [_row(row, timed) for row in cells]


def _check_zip(data: bytes, what: str, kind: str) -> None:
    """Zip bombs and DTDs are refused before the reader inflates or parses anything."""
    try:
        check_office_zip(data, what, BROKEN_HINT)
    except NotAZip:
        raise InvalidInput(f"{what} is not a readable {kind} file (not a zip archive)",
                           BROKEN_HINT) from None


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Inline containers whose runs are read as they are.
_DOCX_INLINE = frozenset({"hyperlink", "smartTag", "customXml", "fldSimple", "dir", "bdo",
                          "ins", "moveTo"})


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class _DocxReader:
    """The accepted text of a .docx body with its comment and note marks, and what it met."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.note_order: list[tuple[str, str]] = []  # (footnote|endnote, id) in text order

    def paragraph(self, p: Any, out: Marked | None = None) -> Marked:
        out = out if out is not None else Marked()
        self._inline(p, out)
        return out

    def _inline(self, node: Any, out: Marked) -> None:
        for child in node:
            tag = _local(child.tag)
            if tag == "r":
                self._run(child, out)
            elif tag in ("del", "moveFrom"):
                self.counts["deletion"] += 1
            elif tag in _DOCX_INLINE:
                if tag in ("ins", "moveTo"):
                    self.counts["insertion"] += 1
                self._inline(child, out)
            elif tag == "sdt":
                self._content_control(child, lambda content: self._inline(content, out))
            elif tag == "commentRangeStart":
                out.mark("comment-start", child.get(f"{_W}id", ""))
            elif tag == "commentRangeEnd":
                out.mark("comment-end", child.get(f"{_W}id", ""))

    def _run(self, run: Any, out: Marked) -> None:
        props = run.find(f"{_W}rPr")
        if props is not None and props.find(f"{_W}vanish") is not None:
            if any(_local(c.tag) == "t" and c.text for c in run):
                self.counts["hidden"] += 1
            return
        for child in run:
            tag = _local(child.tag)
            if tag == "t":
                out.add(_nfc(child.text or ""))
            elif tag == "tab":
                out.add("\t")
            elif tag in ("br", "cr"):
                out.add("\n")
            elif tag == "noBreakHyphen":
                out.add("-")
            elif tag in ("footnoteReference", "endnoteReference"):
                kind = tag.removesuffix("Reference")
                ident = child.get(f"{_W}id", "")
                self.note_order.append((kind, ident))
                out.mark(kind, ident)
            elif tag == "commentReference":
                out.mark("comment-ref", child.get(f"{_W}id", ""))
            elif tag in ("drawing", "pict", "AlternateContent"):
                boxes = [box for box in child.iter(f"{_W}txbxContent")
                         if not any(a.tag == _MC_FALLBACK for a in box.iterancestors())]
                self.counts["text box"] += len(boxes)

    def _content_control(self, sdt: Any, read: Any) -> None:
        props = sdt.find(f"{_W}sdtPr")
        content = sdt.find(f"{_W}sdtContent")
        if props is not None and props.find(f"{_W}showingPlcHdr") is not None:
            self.counts["placeholder"] += 1
            return
        self.counts["content control"] += 1
        if content is not None:
            read(content)

    def blocks(self, node: Any, out: list[Marked]) -> None:
        """Paragraphs and table rows of a body (or a cell, a content control), in order."""
        for child in node:
            tag = _local(child.tag)
            if tag == "p":
                mark_deleted = child.find(f"{_W}pPr/{_W}rPr/{_W}del")
                para = self.paragraph(child)
                if mark_deleted is not None and out:
                    # The paragraph mark was deleted: accepted, it joins the next paragraph.
                    para.add(" ")
                out.append(para)
            elif tag == "tbl":
                out.extend(_table(self.rows(child), self.counts))
            elif tag == "sdt":
                self._content_control(child, lambda content: self.blocks(content, out))
            elif tag == "customXml":
                self.blocks(child, out)

    def rows(self, table: Any) -> list[list[Marked]]:
        rows = []
        for tr in table.iter(f"{_W}tr"):
            if tr.getparent() is not table and _local(tr.getparent().tag) != "sdtContent":
                continue  # a nested table's rows are read with their cell
            if tr.find(f"{_W}trPr/{_W}del") is not None:
                self.counts["deletion"] += 1
                continue
            cells = []
            for tc in tr.iter(f"{_W}tc"):
                if tc.getparent() is not tr:
                    continue
                paras: list[Marked] = []
                self.blocks(tc, paras)
                cells.append(join_marked(paras, " "))
            rows.append(cells)
        return rows


def _part_paragraphs(root: Any) -> str:
    """Plain text of a comment, note or header element (paragraphs on their own lines)."""
    reader = _DocxReader()
    paras: list[Marked] = []
    reader.blocks(root, paras)
    return "\n".join(" ".join(p.text.split()) for p in paras if p.text.strip())


def _docx_parts(document: Any) -> dict[str, list[Any]]:
    """Comment, note, header and footer parts of the main document, by kind."""
    from docx.oxml import parse_xml

    parts: dict[str, list[Any]] = {}
    for rel in document.part.rels.values():
        if rel.is_external:
            continue
        kind = rel.reltype.rsplit("/", 1)[-1]
        if kind in ("comments", "footnotes", "endnotes", "header", "footer"):
            parts.setdefault(kind, []).append(parse_xml(rel.target_part.blob))
    return parts


def _docx_notes(parts: dict[str, list[Any]], kind: str) -> dict[str, str]:
    """Note id -> text; Word's separator notes are not notes."""
    out = {}
    for root in parts.get(kind + "s", []):
        for note in root.iter(f"{_W}{kind}"):
            if note.get(f"{_W}type") in (None, "normal"):
                out[note.get(f"{_W}id", "")] = _part_paragraphs(note)
    return out


def _docx_comments(parts: dict[str, list[Any]]) -> dict[str, tuple[str, str, str]]:
    """Comment id -> (text, author, date)."""
    out = {}
    for root in parts.get("comments", []):
        for comment in root.iter(f"{_W}comment"):
            out[comment.get(f"{_W}id", "")] = (
                _part_paragraphs(comment), (comment.get(f"{_W}author") or "").strip(),
                comment.get(f"{_W}date") or "")
    return out


def read_docx_marked(data: bytes, what: str) -> tuple[list[Marked], dict[str, Any]]:
    """Paragraphs with marks, and what lies outside them (comments, notes, headers, counts)."""
    _check_zip(data, what, ".docx")
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
        reader = _DocxReader()
        paragraphs: list[Marked] = []
        reader.blocks(document.element.body, paragraphs)
        parts = _docx_parts(document)
        margins = {kind: list(dict.fromkeys(
            text for text in (_part_paragraphs(root) for root in parts.get(kind, [])) if text))
            for kind in ("header", "footer")}
        extra = {"comments": _docx_comments(parts), "footnote": _docx_notes(parts, "footnote"),
                 "endnote": _docx_notes(parts, "endnote"), "margins": margins,
                 "counts": reader.counts, "note_order": reader.note_order}
    except Exception as exc:  # python-docx raises zip, XML and key errors on broken files
        raise InvalidInput(f"{what} is not a readable .docx file ({type(exc).__name__})",
                           BROKEN_HINT) from None
    return paragraphs, extra


class _OdtReader:
    """The text of an .odt body with its note and annotation marks, and what it met."""

    def __init__(self) -> None:
        from odf.namespaces import DCNS, DRAWNS, OFFICENS, TABLENS, TEXTNS

        self.ns = {"text": TEXTNS, "office": OFFICENS, "table": TABLENS, "dc": DCNS,
                   "draw": DRAWNS}
        self.counts: Counter[str] = Counter()
        self.notes: dict[str, tuple[str, str]] = {}  # id -> (footnote|endnote, text)
        self.note_order: list[tuple[str, str]] = []
        self.comments: dict[str, tuple[str, str, str]] = {}  # id -> (text, author, date)

    def _is(self, node: Any, ns: str, name: str) -> bool:
        return getattr(node, "qname", None) == (self.ns[ns], name)

    def _attr(self, node: Any, ns: str, name: str) -> str:
        try:
            return node.getAttrNS(self.ns[ns], name) or ""
        except Exception:  # odfpy refuses attributes its grammar does not allow
            return ""

    def inline(self, node: Any, out: Marked) -> None:
        for child in node.childNodes:
            if child.nodeType == child.TEXT_NODE:
                out.add(_nfc(child.data))
                continue
            qname = getattr(child, "qname", None)
            if qname is None:
                continue
            ns, name = qname
            if ns == self.ns["text"] and name == "s":
                out.add(" " * max(int(self._attr(child, "text", "c") or 1), 1))
            elif ns == self.ns["text"] and name == "tab":
                out.add("\t")
            elif ns == self.ns["text"] and name == "line-break":
                out.add("\n")
            elif ns == self.ns["text"] and name == "note":
                self._note(child, out)
            elif ns == self.ns["office"] and name == "annotation":
                self._annotation(child, out)
            elif ns == self.ns["office"] and name == "annotation-end":
                out.mark("comment-end", self._attr(child, "office", "name"))
            elif ns == self.ns["draw"]:
                self.counts["text box"] += sum(1 for _ in self._descendants(child, "p"))
            elif ns == self.ns["text"] and name in ("change", "change-start", "change-end",
                                                    "bookmark", "bookmark-start",
                                                    "bookmark-end", "soft-page-break"):
                continue
            else:  # spans, links, fields: their text is the paragraph's
                self.inline(child, out)

    def _descendants(self, node: Any, name: str) -> Any:
        for child in node.childNodes:
            if self._is(child, "text", name):
                yield child
            elif getattr(child, "childNodes", None):
                yield from self._descendants(child, name)

    def _plain(self, node: Any) -> str:
        """Paragraphs of a note body or an annotation, one per line."""
        paras: list[Marked] = []
        self.blocks(node, paras)
        return "\n".join(" ".join(p.text.split()) for p in paras if p.text.strip())

    def _note(self, note: Any, out: Marked) -> None:
        kind = self._attr(note, "text", "note-class") or "footnote"
        ident = self._attr(note, "text", "id") or f"note{len(self.notes) + 1}"
        body = next((c for c in note.childNodes if self._is(c, "text", "note-body")), None)
        self.notes[ident] = (kind, self._plain(body) if body is not None else "")
        self.note_order.append((kind, ident))
        out.mark(kind, ident)

    def _annotation(self, node: Any, out: Marked) -> None:
        # ODF 1.2 names a ranged annotation with office:name (odfpy writes draw:name).
        name = self._attr(node, "office", "name") or self._attr(node, "draw", "name")
        ident = name or f"annotation{len(self.comments) + 1}"
        author = date = ""
        for child in node.childNodes:
            if self._is(child, "dc", "creator"):
                author = " ".join(str(child).split())
            elif self._is(child, "dc", "date"):
                date = str(child).strip()
        self.comments[ident] = (self._plain(node), author, date)
        out.mark("comment-start" if name else "comment-ref", ident)

    def blocks(self, node: Any, out: list[Marked]) -> None:
        for child in node.childNodes:
            if self._is(child, "text", "p") or self._is(child, "text", "h"):
                para = Marked()
                self.inline(child, para)
                out.append(para)
            elif self._is(child, "table", "table-row"):
                cells = []
                for cell in child.childNodes:
                    if self._is(cell, "table", "table-cell"):
                        paras: list[Marked] = []
                        self.blocks(cell, paras)
                        cells.append(join_marked(paras, " "))
                out.append(cells)  # type: ignore[arg-type]  # rows gathered by _odt_table
            elif self._is(child, "table", "table"):
                rows: list[Any] = []
                self.blocks(child, rows)
                out.extend(_table([r for r in rows if isinstance(r, list)], self.counts))
            elif self._is(child, "text", "tracked-changes"):
                for region in child.childNodes:
                    for change in getattr(region, "childNodes", []):
                        if self._is(change, "text", "deletion"):
                            self.counts["deletion"] += 1
                        elif self._is(change, "text", "insertion"):
                            self.counts["insertion"] += 1
            elif self._is(child, "dc", "creator") or self._is(child, "dc", "date"):
                continue
            elif getattr(child, "childNodes", None):
                self.blocks(child, out)


def read_odt_marked(data: bytes, what: str) -> tuple[list[Marked], dict[str, Any]]:
    _check_zip(data, what, ".odt")
    try:
        from odf.opendocument import load

        document = load(io.BytesIO(data))
        reader = _OdtReader()
        paragraphs: list[Marked] = []
        reader.blocks(document.text, paragraphs)
        margins: dict[str, list[str]] = {"header": [], "footer": []}
        for kind in margins:
            for node in document.masterstyles.getElementsByType(_odt_margin_type(kind)):
                text = reader._plain(node)
                if text and text not in margins[kind]:
                    margins[kind].append(text)
    except Exception as exc:  # odfpy raises zip, XML and key errors on broken files
        raise InvalidInput(f"{what} is not a readable .odt file ({type(exc).__name__})",
                           BROKEN_HINT) from None
    notes = {kind: {i: text for i, (k, text) in reader.notes.items() if k == kind}
             for kind in ("footnote", "endnote")}
    return paragraphs, {"comments": reader.comments, **notes, "margins": margins,
                        "counts": reader.counts, "note_order": reader.note_order}


def _odt_margin_type(kind: str) -> Any:
    from odf import style

    return style.Header if kind == "header" else style.Footer


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _annotations(extra: dict[str, Any], text: str,
                 raw: Marked) -> tuple[list[Annotation], list[str]]:
    """Comments and notes anchored on the stored text, and one note line per thing left out."""
    # Most files have no mark: skip aligning a long text for nothing.
    where = offset_map(raw.text, text) if raw.marks else []
    starts: dict[str, int] = {}
    ends: dict[str, int] = {}
    points: dict[tuple[str, str], int] = {}
    for at, kind, ident in raw.marks:
        pos = where[at]
        if kind == "comment-start":
            starts.setdefault(ident, pos)
        elif kind == "comment-end":
            ends[ident] = pos
        else:
            points.setdefault((kind, ident), pos)
    out: list[Annotation] = []
    comments = extra["comments"]
    for ident, (body, author, date) in comments.items():
        start = starts.get(ident, points.get(("comment-ref", ident)))
        if start is None or not body:
            continue
        end = max(ends.get(ident, start), start)
        label = f"comment by {author}" if author else "comment"
        out.append(Annotation("comment", start, end, body, label, author,
                              {"date": date} if date else {}))
    numbers: Counter[str] = Counter()
    for kind, ident in extra["note_order"]:
        numbers[kind] += 1
        body = extra[kind].get(ident, "")
        pos = points.get((kind, ident))
        if pos is not None and body:
            out.append(Annotation(kind, pos, pos, body, f"{kind} {numbers[kind]}"))
    out.sort(key=lambda a: (a.start, a.end))
    counts: Counter[str] = extra["counts"]
    kept = Counter(a.kind for a in out)
    notes = []
    if counts["insertion"] or counts["deletion"]:
        notes.append(f"tracked changes accepted: {_plural(counts['insertion'], 'insertion')} "
                     f"kept, {_plural(counts['deletion'], 'deletion')} left out")
    for kind in ("comment", "footnote", "endnote"):
        if kept[kind]:
            notes.append(f"{_plural(kept[kind], kind)} kept as "
                         + ("a memo" if kept[kind] == 1 else "memos")
                         + (" (not in the text)" if kind != "comment" else ""))
    if counts["content control"]:
        notes.append(f"{_plural(counts['content control'], 'content control')} read in place")
    if counts["placeholder"]:
        notes.append(f"{_plural(counts['placeholder'], 'content control')} showing only "
                     "placeholder text left out")
    margins = extra["margins"]
    if margins["header"] or margins["footer"]:
        parts = [_plural(len(margins[k]), k) for k in ("header", "footer") if margins[k]]
        notes.append(f"{' and '.join(parts)} not in the text (kept in the document's meta)")
    if counts["hidden"]:
        notes.append(f"{_plural(counts['hidden'], 'hidden passage')} left out")
    if counts["text box"]:
        notes.append(f"{_plural(counts['text box'], 'text box')} left out")
    if counts["table header"]:
        notes.append(f"{_plural(counts['table header'], 'table header row')} left out "
                     "(a time | speaker | text table)")
    return out, notes


def _parsed(paragraphs: list[Marked], extra: dict[str, Any], fmt: str,
            interviewers: tuple[str, ...], names: tuple[str, ...] = ()) -> Parsed:
    raw = join_marked(paragraphs, "\n\n")
    text, segments = segment_text(raw.text, interviewers, names=names)
    annotations, notes = _annotations(extra, text, raw)
    meta = {f"{kind}s": texts for kind, texts in extra["margins"].items() if texts}
    return Parsed(text, segments, fmt, "utf-8", meta, annotations=annotations, notes=notes)


def read_docx(data: bytes, *, what: str, encoding: str | None = None,
              interviewers: tuple[str, ...] = (), fmt: str = "docx",
              names: tuple[str, ...] = ()) -> Parsed:
    return _parsed(*read_docx_marked(data, what), fmt, interviewers, names)


def read_odt(data: bytes, *, what: str, encoding: str | None = None,
             interviewers: tuple[str, ...] = (), fmt: str = "odt",
             names: tuple[str, ...] = ()) -> Parsed:
    return _parsed(*read_odt_marked(data, what), fmt, interviewers, names)
