"""One guard for every zip qualcode reads (.docx, .odt, .qdpx): nothing is extracted to disk,
entry names are checked, and what can be decompressed is bounded before it is decompressed.

Three limits, all checked against the central directory before an entry is read:
- each entry read is at most MAX_ENTRY_BYTES (a zip cannot inflate an entry past its declared
  size: zipfile stops there and the CRC check fails, so declared sizes bound actual reads);
- no entry above RATIO_FLOOR, read or not, may be compressed more than MAX_RATIO:1;
- the bytes actually read, added over every read (an entry read twice counts twice, nested
  zips count against their parent's budget), stay under MAX_READ_BYTES.
Reading only what is needed matters for a .qdpx: its videos or PDFs are never read, so their
size does not matter, and the archive is opened from disk, never loaded whole.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from .errors import InvalidInput

MAX_ENTRIES = 100_000
MAX_ENTRY_BYTES = 64 * 1024**2  # like the largest file ingest reads
MAX_READ_BYTES = 256 * 1024**2  # all reads of one file, nested zips included
MAX_RATIO = 200  # uncompressed / compressed; text and XML rarely pass 20:1
RATIO_FLOOR = 1024**2  # small entries may compress well (a page of blank paragraphs)
_DRIVE = re.compile(r"^[A-Za-z]:")
BOMB_HINT = "refused, nothing was imported: it looks like a zip bomb or is far too large"
# zipfile and its decompressors raise these on damaged or unsupported entries.
_BROKEN = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, NotImplementedError,
           EOFError, KeyError)


def _mb(n: int) -> str:
    return f"{n / 1024**2:,.0f} MB"


class NotAZip(InvalidInput):
    """The bytes are no zip at all (a damaged file rather than a hostile one)."""


class TooLarge(InvalidInput):
    """Reading on would break a limit: the whole file is refused, never a part of it."""


class _Budget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0


class ZipGuard:
    """A zip opened for bounded reading. ``what`` names the file in every message."""

    def __init__(self, source: bytes | Path, what: str, hint: str, *,
                 budget: _Budget | None = None) -> None:
        self.what = what
        self.hint = hint
        self.budget = budget or _Budget(MAX_READ_BYTES)
        try:
            # A path is opened in place: only the central directory and the entries read are
            # loaded, so a 10 GB file costs nothing before it is refused.
            self.zf = zipfile.ZipFile(source if isinstance(source, Path)
                                      else io.BytesIO(source))
        except OSError as exc:
            raise InvalidInput(f"cannot read {what}: {exc.strerror or exc}") from None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
            raise NotAZip(f"{what} is not a zip archive ({exc})", hint) from None
        self.infos = self.zf.infolist()
        if len(self.infos) > MAX_ENTRIES:
            raise InvalidInput(f"{what} has {len(self.infos)} entries, more than {MAX_ENTRIES}",
                               BOMB_HINT)
        for info in self.infos:
            self._check_name(info.filename)
            # No honest entry inflates like this, read or not: a bomb marks a hostile file.
            self._check_ratio(info)

    def close(self) -> None:
        self.zf.close()

    def __enter__(self) -> ZipGuard:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _check_name(self, name: str) -> None:
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or _DRIVE.match(name) or ".." in parts or "\x00" in name:
            raise InvalidInput(f"{self.what} holds an unsafe entry {name!r} (absolute path or "
                               "'..')", "the file was not read; ask for a clean copy")

    def _check_ratio(self, info: zipfile.ZipInfo) -> None:
        size = info.file_size
        if size > RATIO_FLOOR and size > MAX_RATIO * max(info.compress_size, 1):
            raise TooLarge(f"{self.what}: entry {info.filename!r} is compressed more than "
                           f"{MAX_RATIO}:1 (a zip bomb)", BOMB_HINT)

    def _charge(self, info: zipfile.ZipInfo) -> None:
        """Refuse ``info`` if reading it would break a limit, else count it as read."""
        size = info.file_size
        if size > MAX_ENTRY_BYTES:
            raise TooLarge(f"{self.what}: entry {info.filename!r} would expand to {_mb(size)}, "
                           f"more than the {_mb(MAX_ENTRY_BYTES)} qualcode reads", BOMB_HINT)
        if self.budget.used + size > self.budget.limit:
            raise TooLarge(f"{self.what} would expand to more than "
                           f"{_mb(self.budget.limit)} in all", BOMB_HINT)
        self.budget.used += size

    def charge(self, name: str) -> None:
        """Count a read of ``name`` whose bytes the caller kept from an earlier read."""
        self._charge(self.zf.getinfo(name))

    def check_all(self) -> None:
        """Charge every entry: for readers (python-docx, odfpy) that read the whole zip."""
        for info in self.infos:
            if not info.is_dir():
                self._charge(info)

    def read(self, name: str) -> bytes:
        """One entry's bytes, within the limits; a damaged entry is an InvalidInput."""
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            raise InvalidInput(f"{self.what} has no entry {name!r}", self.hint) from None
        self._charge(info)
        try:
            return self.zf.read(info)
        except _BROKEN as exc:
            raise InvalidInput(f"{self.what}: entry {name!r} cannot be read "
                               f"({type(exc).__name__})", self.hint) from None
        except RuntimeError:  # encrypted entries
            raise InvalidInput(f"{self.what}: entry {name!r} is encrypted",
                               "save or export it again without a password") from None

    def nested(self, data: bytes, what: str, hint: str) -> ZipGuard:
        """A zip held in one of this zip's entries, reading on this zip's budget."""
        return ZipGuard(data, what, hint, budget=self.budget)


    def xml_parts(self) -> list[str]:
        """The entries an office reader parses as XML: `*.xml`, `*.rels`, and in a .docx any
        part [Content_Types].xml declares as XML whatever its name."""
        names = {i.filename for i in self.infos if not i.is_dir()}
        parts = {n for n in names if n.lower().endswith((".xml", ".rels"))}
        if "[Content_Types].xml" in names:
            types = self.zf.read("[Content_Types].xml").decode("utf-8", "replace")
            xml_ext = {m.group(1).lower() for m in _DEFAULT_XML.finditer(types)}
            parts |= {n for n in names if n.rsplit(".", 1)[-1].lower() in xml_ext}
            parts |= {m.group(1).lstrip("/") for m in _OVERRIDE_XML.finditer(types)} & names
        return sorted(parts)

    def refuse_doctype(self, name: str) -> None:
        """Refuse an XML entry with a DTD (entity declarations, external references): office
        readers would drop or resolve them silently. Streamed, so nothing is held whole."""
        with self.zf.open(name) as stream:
            tail = b""
            while chunk := stream.read(1024**2):
                window = tail + chunk
                if any(marker in window for marker in _DOCTYPE):
                    raise InvalidInput(
                        f"{self.what}: {name} declares a DTD or XML entities; qualcode "
                        "refuses them for safety", self.hint)
                tail = window[-_DOCTYPE_TAIL:]


# "<!DOCTYPE" in UTF-8 and in both UTF-16 byte orders (XML parts may be UTF-16).
_DOCTYPE = tuple("<!DOCTYPE".encode(c) for c in ("utf-8", "utf-16-le", "utf-16-be"))
_DOCTYPE_TAIL = max(map(len, _DOCTYPE))
_DEFAULT_XML = re.compile(r'<Default\b[^>]*\bExtension="([^"]+)"[^>]*ContentType="[^"]*xml"',
                          re.IGNORECASE)
_OVERRIDE_XML = re.compile(r'<Override\b[^>]*\bPartName="([^"]+)"[^>]*ContentType="[^"]*xml"',
                           re.IGNORECASE)


def check_office_zip(data: bytes, what: str, hint: str,
                     parent: ZipGuard | None = None) -> None:
    """Refuse a .docx/.odt whose parts would inflate past the limits (their readers load every
    part) or whose XML declares a DTD, before python-docx or odfpy sees it."""
    guard = parent.nested(data, what, hint) if parent else ZipGuard(data, what, hint)
    with guard:
        guard.check_all()
        try:
            for name in guard.xml_parts():
                guard.refuse_doctype(name)
        except _BROKEN as exc:
            raise InvalidInput(f"{what} cannot be read ({type(exc).__name__})", hint) from None
        except RuntimeError:  # encrypted entries
            raise InvalidInput(f"{what} is encrypted",
                               "save it again without a password") from None
