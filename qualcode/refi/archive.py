"""Read a .qdpx archive safely: nothing is extracted, every entry name and size is checked.

A .qdpx is a zip, read through the shared zip guard (qualcode.zipguard): unsafe entry names
(``../``, absolute paths, drive letters), entries or totals of reads too large for their
compressed size (zip bombs), and XML with entities or external references are refused with a
clear error before anything reaches the database.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

from ..errors import InvalidInput
from ..zipguard import ZipGuard
from .xmltext import strip_namespaces

BROKEN_HINT = "check that the file is a REFI-QDA project (.qdpx) exported completely"


class QdpxArchive:
    """The entries of a .qdpx, found case-insensitively, read within the zip guard's limits."""

    def __init__(self, source: bytes | Path, what: str) -> None:
        self.what = what
        self.guard = ZipGuard(source, what, BROKEN_HINT)
        self.names = [i.filename for i in self.guard.infos if not i.is_dir()]
        self._by_lower = {}
        for name in self.names:
            self._by_lower.setdefault(name.replace("\\", "/").lower(), name)

    @classmethod
    def open(cls, path: Path) -> QdpxArchive:
        if path.is_dir():
            raise InvalidInput(f"{path} is a folder, not a .qdpx file", BROKEN_HINT)
        return cls(path, str(path))  # opened in place: a huge file is never loaded whole

    def close(self) -> None:
        self.guard.close()

    def read(self, name: str) -> bytes:
        return self.guard.read(name)

    def project_entry(self) -> str:
        """`project.qde`, else the only .qde at the root (tools name it after the project)."""
        root = [n for n in self.names if "/" not in n.replace("\\", "/")
                and n.lower().endswith(".qde")]
        for name in root:
            if name.lower() == "project.qde":
                return name
        if len(root) == 1:
            return root[0]
        if not root:
            anywhere = [n for n in self.names if n.lower().endswith(".qde")]
            if len(anywhere) == 1:
                return anywhere[0]
            raise InvalidInput(f"{self.what} holds no project.qde", BROKEN_HINT)
        raise InvalidInput(f"{self.what} holds several .qde files: {', '.join(sorted(root))}",
                           "keep one project per .qdpx")

    def find_source(self, path: str) -> str | None:
        """The entry a source path designates: `internal://x.txt`, `x.txt`, `Sources/x.txt`,
        or an absolute path from the exporting machine whose file travelled in sources/."""
        value = path.strip()
        for prefix in ("internal://", "file:///", "file://"):
            if value.lower().startswith(prefix):
                value = value[len(prefix):]
                break
        value = value.replace("\\", "/")
        while value.startswith(("./", "/")):
            value = value[2:] if value.startswith("./") else value[1:]
        value = posixpath.normpath(value) if value else value
        if not value or value == ".":
            return None
        lowered = value.lower()
        for candidate in (lowered, f"sources/{lowered}"):
            if candidate in self._by_lower:
                return self._by_lower[candidate]
        base = lowered.rsplit("/", 1)[-1]
        matches = [n for low, n in self._by_lower.items() if low.rsplit("/", 1)[-1] == base]
        return matches[0] if len(matches) == 1 else None


def iter_project(data: bytes, what: str) -> Iterator[tuple[str, Element]]:
    """Parse a project.qde incrementally, with the safety of :func:`parse_xml` (namespaces
    stripped too): yields ``("source", element)`` for each child of ``<Sources>`` once read,
    which is then dropped (the tree of a project with a million selections is never held
    whole), and last ``("root", root)`` with everything else (users, codebook, cases, notes,
    sets...)."""
    import io
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

    from .xmltext import local

    root: Element | None = None
    stack: list[Element] = []
    try:
        for event, el in DET.iterparse(io.BytesIO(data), events=("start", "end")):
            if event == "start":
                el.tag = local(el.tag)
                for key in [k for k in el.attrib if k.startswith("{")]:
                    el.attrib[local(key)] = el.attrib.pop(key)
                if root is None:
                    root = el
                    if el.tag != "Project":
                        break  # the caller says what the file is
                stack.append(el)
                continue
            stack.pop()
            if len(stack) == 2 and stack[1].tag == "Sources":
                yield "source", el
                stack[1].remove(el)  # always its first child: freed as the parse goes
    except DefusedXmlException as exc:
        raise InvalidInput(f"{what} uses XML entities or external references ({exc})",
                           "qualcode refuses them for safety; export the project again") from None
    except ParseError as exc:
        raise InvalidInput(f"{what} is not well-formed XML ({exc})", BROKEN_HINT) from None
    if root is None:
        raise InvalidInput(f"{what} is not well-formed XML (no element found)", BROKEN_HINT)
    yield "root", root


def parse_project(data: bytes, what: str,
                  on_source: Callable[[Element], None]) -> Element:
    """:func:`iter_project` with a callback for each source; returns the root."""
    root = None
    for kind, el in iter_project(data, what):
        if kind == "source":
            on_source(el)
        else:
            root = el
    assert root is not None
    return root


def parse_xml(data: bytes, what: str) -> Element:
    """Parse with defusedxml: no DTD entities, no external references; namespaces stripped."""
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

    try:
        root = DET.fromstring(data)
    except DefusedXmlException as exc:
        raise InvalidInput(f"{what} uses XML entities or external references ({exc})",
                           "qualcode refuses them for safety; export the project again") from None
    except ParseError as exc:
        raise InvalidInput(f"{what} is not well-formed XML ({exc})", BROKEN_HINT) from None
    return strip_namespaces(root)
