"""REFI-QDA Codebook Exchange (`.qdc`, QDA-XML codebook 1.0) read and written.

Reading is tolerant like the tools it meets (namespace variants, empty `<Sets/>`, GUIDs in any
case with braces, a UTF-8 BOM, `isCodable="false"` folders) and safe (defusedxml: no DTD
entities, no external references). Elements are matched by local name, so the same parser reads
the `<CodeBook>` inside a `.qdpx` project (namespace `urn:QDA-XML:project:1.0`).

REFI has one text field per code, `Description`: qualcode writes the definition, then the
inclusion and exclusion criteria under labelled lines (`Inclusion: ...`, `Exclusion: ...`) and
reads them back from that layout. Examples and keywords have no place in REFI: they stay in the
YAML codebook and in the database (an import of a .qdc leaves them untouched).
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from .model import REFI_FIELDS, Codebook, CodeSetSpec, CodeSpec
from .names import check_depth, clean_name, code_key, normalise_guid, parse_colour

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
LABELS = ("Inclusion", "Exclusion")
_LABEL_LINE = re.compile(r"(Inclusion|Exclusion)[ \t]*:[ \t]?(.*)", re.IGNORECASE)
# Characters XML 1.0 cannot carry (control characters other than tab and newline).
_ILLEGAL_XML = re.compile("[^\t\n\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# --- Description layout ----------------------------------------------------------------------


def compose_description(code: CodeSpec) -> str:
    """Definition, then `Inclusion: ...` and `Exclusion: ...` paragraphs (empty parts left out)."""
    parts = [code.description.strip()] if code.description.strip() else []
    for label, text in zip(LABELS, (code.inclusion, code.exclusion), strict=True):
        if text.strip():
            parts.append(f"{label}: {text.strip()}")
    return "\n\n".join(parts)


def split_description(text: str) -> tuple[str, str, str]:
    """Inverse of :func:`compose_description`: (definition, inclusion, exclusion).

    A line starting with `Inclusion:` or `Exclusion:` opens that section (each once); any other
    Description is all definition.
    """
    sections: dict[str, list[str]] = {"description": [], "inclusion": [], "exclusion": []}
    current = "description"
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        match = _LABEL_LINE.fullmatch(line)
        if match and not sections[match.group(1).lower()]:
            current = match.group(1).lower()
            sections[current].append(match.group(2))
            continue
        sections[current].append(line)
    return tuple("\n".join(sections[k]).strip()  # type: ignore[return-value]
                 for k in ("description", "inclusion", "exclusion"))


# --- reading ---------------------------------------------------------------------------------


def local(tag: Any) -> str:
    """Local name of an element tag (`{ns}Code` -> `Code`); '' for comments and the like."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: Any, name: str) -> list[Any]:
    return [child for child in element if local(child.tag) == name]


def _description(element: Any) -> str:
    found = _children(element, "Description")
    return (found[0].text or "") if found else ""


def parse_xml(data: bytes, source: str) -> Any:
    """Parse XML bytes safely: entities and external references are refused."""
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    try:
        return SafeET.fromstring(data)
    except DefusedXmlException as exc:
        raise InvalidInput(f"{source} declares XML entities or external references "
                           f"({type(exc).__name__}); qualcode refuses them for safety",
                           "export the file again from your QDA software, without a DTD"
                           ) from None
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise InvalidInput(f"{source} is not well-formed XML (line {line}, column {column + 1})",
                           "the file is damaged or is not a REFI-QDA codebook") from None


def codebook_from_element(codebook_element: Any, *, name: str = "") -> Codebook:
    """The codebook held by a `<CodeBook>` element (of a .qdc or of a project.qde)."""
    book = Codebook(name=name, fields=REFI_FIELDS)
    seen: set[str] = set()
    for codes in _children(codebook_element, "Codes"):
        book.codes.extend(_read_code(el, seen, 1) for el in _children(codes, "Code"))
    for sets in _children(codebook_element, "Sets"):
        for el in _children(sets, "Set"):
            members = [normalise_guid(m.get("guid")) for m in _children(el, "MemberCode")]
            book.sets.append(CodeSetSpec(
                name=clean_name(el.get("name") or "", what="set"),
                description=_description(el).strip(),
                guid=normalise_guid(el.get("guid")),
                members=[m for m in members if m],
            ))
    return book


def _read_code(element: Any, seen: set[str], depth: int) -> CodeSpec:
    check_depth(depth, element.get("name") or "")
    guid = normalise_guid(element.get("guid"))
    if guid in seen:  # a repeated GUID would clash in the database: the copy gets a new one
        guid = None
    if guid:
        seen.add(guid)
    definition, inclusion, exclusion = split_description(_description(element))
    codable = (element.get("isCodable") or "true").strip().lower() not in ("false", "0")
    return CodeSpec(
        name=clean_name(element.get("name") or ""),
        description=definition,
        inclusion=inclusion,
        exclusion=exclusion,
        colour=parse_colour(element.get("color") or ""),
        guid=guid,
        is_codable=codable,
        children=[_read_code(child, seen, depth + 1) for child in _children(element, "Code")],
    )


def read_qdc_bytes(data: bytes, source: str = "codebook") -> Codebook:
    root = parse_xml(data, source)
    if local(root.tag) != "CodeBook":
        hint = ("import a whole project with `qualcode import qdpx`"
                if local(root.tag) == "Project" else "expected a REFI-QDA .qdc codebook")
        raise InvalidInput(f"{source}: the root element is <{local(root.tag)}>, not <CodeBook>",
                           hint)
    return codebook_from_element(root)


def read_qdc(path: str | Path) -> Codebook:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", "check the path") from None
    return read_qdc_bytes(data, source=path.name)


# --- writing ---------------------------------------------------------------------------------


def xml_text(text: str) -> str:
    """Text XML can carry: CR/CRLF become LF (XML would do it anyway), control chars dropped."""
    return _ILLEGAL_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def stable_guid(code: CodeSpec) -> str:
    """The code's GUID, or one derived from its name (same name, same GUID)."""
    return code.guid or str(uuid.uuid5(uuid.NAMESPACE_URL, "qualcode-code:" + code_key(code.name)))


def _write_code(parent: ET.Element, code: CodeSpec, ns: str) -> None:
    attrs = {"guid": stable_guid(code), "name": xml_text(code.name),
             "isCodable": "true" if code.is_codable else "false"}
    if code.colour:
        attrs["color"] = code.colour
    element = ET.SubElement(parent, f"{{{ns}}}Code", attrs)
    description = xml_text(compose_description(code))
    if description:
        ET.SubElement(element, f"{{{ns}}}Description").text = description
    for child in code.children:
        _write_code(element, child, ns)


def codes_to_element(book: Codebook, namespace: str = CODEBOOK_NS) -> ET.Element | None:
    """A `<CodeBook>` element with `<Codes>` (and `<Sets>` when there are sets) in
    ``namespace``; None for an empty codebook (REFI forbids an empty `<Codes>`)."""
    if not book.codes:
        return None
    root = ET.Element(f"{{{namespace}}}CodeBook")
    codes_el = ET.SubElement(root, f"{{{namespace}}}Codes")
    for code in book.codes:
        _write_code(codes_el, code, namespace)
    guid_of: dict[str, str] = {}
    for code, _parent in book.walk():
        guid = stable_guid(code)
        guid_of[code_key(code.name)] = guid
        guid_of[guid] = guid
    if book.sets:
        sets_el = ET.SubElement(root, f"{{{namespace}}}Sets")
        for code_set in book.sets:
            set_guid = code_set.guid or str(
                uuid.uuid5(uuid.NAMESPACE_URL, "qualcode-set:" + code_key(code_set.name)))
            el = ET.SubElement(sets_el, f"{{{namespace}}}Set",
                               {"guid": set_guid, "name": xml_text(code_set.name)})
            if code_set.description.strip():
                ET.SubElement(el, f"{{{namespace}}}Description").text = xml_text(
                    code_set.description)
            for member in code_set.members:
                member_guid = (guid_of.get(normalise_guid(member) or "")
                               or guid_of.get(code_key(member)))
                if member_guid:
                    ET.SubElement(el, f"{{{namespace}}}MemberCode", {"guid": member_guid})
    return root


def write_qdc(book: Codebook, origin: str = "qualcode") -> bytes:
    """The codebook as a .qdc file (UTF-8, namespace `urn:QDA-XML:codebook:1.0`)."""
    root = codes_to_element(book, CODEBOOK_NS)
    if root is None:
        raise InvalidInput("the codebook is empty: a .qdc needs at least one code",
                           "import or add codes first (`qualcode codebook add NAME`)")
    root.set("origin", origin)
    return serialize(root, CODEBOOK_NS)


def serialize(root: ET.Element, namespace: str) -> bytes:
    """UTF-8 XML with ``namespace`` as the default namespace (no prefixes), indented.

    ElementTree's own `default_namespace` refuses unqualified attributes, so the tree is copied
    with local tag names under an `xmlns` attribute instead.
    """
    prefix = f"{{{namespace}}}"

    def copy(element: ET.Element) -> ET.Element:
        tag = element.tag[len(prefix):] if element.tag.startswith(prefix) else element.tag
        out = ET.Element(tag, dict(element.attrib))
        out.text, out.tail = element.text, element.tail
        out.extend(copy(child) for child in element)
        return out

    plain = copy(root)
    plain.set("xmlns", namespace)
    ET.indent(plain, space="  ")
    body = ET.tostring(plain, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")
