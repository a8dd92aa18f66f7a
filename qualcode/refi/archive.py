"""Read a .qdpx archive safely: nothing is extracted, every entry name and size is checked.

A .qdpx is a zip. Entries that could escape a folder (``../``, absolute paths, drive letters),
archives whose declared sizes are too large (zip bombs) and XML with entities or external
references are refused with a clear error before anything reaches the database.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree.ElementTree import Element

from ..errors import InvalidInput
from .xmltext import strip_namespaces

MAX_TOTAL_BYTES = 2 * 1024**3  # uncompressed, all entries together
MAX_ENTRIES = 100_000
MAX_RATIO = 200  # uncompressed / compressed, for entries above RATIO_FLOOR
RATIO_FLOOR = 1024**2
_DRIVE = re.compile(r"^[A-Za-z]:")
BROKEN_HINT = "check that the file is a REFI-QDA project (.qdpx) exported completely"


def _check_name(name: str, what: str) -> None:
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or _DRIVE.match(name) or ".." in parts or "\x00" in name:
        raise InvalidInput(f"{what} holds an unsafe entry {name!r} (absolute path or '..')",
                           "the archive was not imported; ask for a clean export")


def check_zip(zf: zipfile.ZipFile, what: str) -> None:
    """Refuse unsafe names, too many entries, and sizes or ratios typical of zip bombs."""
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise InvalidInput(f"{what} has {len(infos)} entries, more than {MAX_ENTRIES}",
                           BROKEN_HINT)
    total = 0
    for info in infos:
        _check_name(info.filename, what)
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise InvalidInput(
                f"{what} would expand to more than {MAX_TOTAL_BYTES // 1024**3} GB",
                "the archive was not imported: it looks like a zip bomb or is too large")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size,
                                                                              1):
            raise InvalidInput(
                f"{what}: entry {info.filename!r} is compressed more than {MAX_RATIO}:1",
                "the archive was not imported: it looks like a zip bomb")


class QdpxArchive:
    """The entries of a .qdpx, found case-insensitively, read with bounded sizes."""

    def __init__(self, data: bytes, what: str) -> None:
        self.what = what
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise InvalidInput(f"{what} is not a zip archive ({exc})", BROKEN_HINT) from None
        check_zip(self.zf, what)
        self.names = [i.filename for i in self.zf.infolist() if not i.is_dir()]
        self._by_lower = {}
        for name in self.names:
            self._by_lower.setdefault(name.replace("\\", "/").lower(), name)

    @classmethod
    def open(cls, path: Path) -> QdpxArchive:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
        return cls(data, str(path))

    def read(self, name: str) -> bytes:
        try:
            return self.zf.read(name)  # at most the declared (already bounded) size
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError,
                NotImplementedError, EOFError) as exc:
            raise InvalidInput(f"{self.what}: entry {name!r} cannot be read ({exc})",
                               BROKEN_HINT) from None
        except RuntimeError as exc:  # encrypted entries
            raise InvalidInput(f"{self.what}: entry {name!r} cannot be read ({exc})",
                               "export the project again without a password") from None

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
