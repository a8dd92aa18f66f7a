"""Material that ships with qualcode: the codebooks of ``codebooks/`` and the demo corpus of
``corpora/demo/``, found by name wherever qualcode is installed.

In a checkout or an editable install they sit next to the package; ``pip install .`` installs
them as data files under ``<prefix>/share/qualcode`` (``[tool.setuptools.data-files]`` in
pyproject.toml), or under the user base with ``pip install --user``.
"""

from __future__ import annotations

import site
import sys
from pathlib import Path

from .errors import InvalidInput

CODEBOOK_SUFFIXES = (".yaml", ".yml", ".qdc")
DEMO_CODEBOOK = "guichet"


def roots() -> list[Path]:
    """Folders that may hold ``codebooks/`` and ``corpora/``, most specific first."""
    candidates = [Path(__file__).resolve().parent.parent,
                  Path(sys.prefix) / "share" / "qualcode",
                  Path(site.getuserbase()) / "share" / "qualcode"]
    out: list[Path] = []
    for root in candidates:
        if root not in out:
            out.append(root)
    return out


def codebooks() -> dict[str, Path]:
    """Bundled codebooks by name (the file name without its suffix)."""
    found: dict[str, Path] = {}
    for root in roots():
        folder = root / "codebooks"
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in CODEBOOK_SUFFIXES and path.is_file():
                found.setdefault(path.stem, path)
    return found


def demo_corpus() -> Path | None:
    """The bundled demo corpus folder (interviews, notes, agents.csv, codings.csv)."""
    for root in roots():
        folder = root / "corpora" / "demo"
        if (folder / "agents.csv").is_file():
            return folder
    return None


def _bundled_match(path: Path, names: dict[str, Path]) -> Path | None:
    """The bundled file that ``path`` names: same stem (case aside), with no suffix or the
    bundled file's own; the folders in front do not matter (``codebooks/guichet.yaml`` typed
    outside a checkout means the bundled one)."""
    def kind(suffix: str) -> str:
        return ".yaml" if suffix.casefold() == ".yml" else suffix.casefold()

    stem, suffix = path.stem.casefold(), kind(path.suffix)
    if suffix and suffix not in CODEBOOK_SUFFIXES:  # "guichet.v2" is a stem, not a suffix
        stem, suffix = path.name.casefold(), ""
    for name, bundled in names.items():
        if name.casefold() == stem and suffix in ("", kind(bundled.suffix)):
            return bundled
    return None


def resolve_codebook(path: Path) -> tuple[Path, str | None]:
    """The codebook file to read for ``path``, and a note to show when it is a bundled one.

    An existing file is always the user's. A missing one that names a bundled codebook is
    that codebook; otherwise the error lists the bundled names.
    """
    if path.exists():
        return path, None
    names = codebooks()
    bundled = _bundled_match(path, names)
    if bundled is not None:
        where = f"the bundled codebook {bundled.stem!r}: {bundled}"
        if str(path) == path.stem:  # a bare name: the user meant the bundled one
            return bundled, f"Using {where}"
        return bundled, f"{path} is not a file here: using {where}"
    if not names:
        raise InvalidInput(f"no such file: {path}", "check the path")
    raise InvalidInput(
        f"no such file: {path}",
        f"check the path, or name a bundled codebook instead: {', '.join(sorted(names))}; "
        "`qualcode codebook bundled` lists them")


def resolve_demo_path(path: Path) -> tuple[Path, str | None]:
    """The path to read for ``path``, and a note when it is the bundled demo corpus.

    The README's commands (`qualcode ingest corpora/demo`, `agents import
    corpora/demo/agents.csv`) name the demo corpus relative to a checkout; typed anywhere
    else, a missing path with `corpora/demo` in it means the installed copy. An existing path
    is always the user's, and a missing one that names nothing there is left to fail as usual.
    """
    if path.exists():
        return path, None
    parts = path.parts
    for i in range(len(parts) - 1):
        if (parts[i].casefold(), parts[i + 1].casefold()) != ("corpora", "demo"):
            continue
        corpus = demo_corpus()
        target = corpus.joinpath(*parts[i + 2:]) if corpus is not None else None
        if target is None or not target.exists():
            return path, None
        what = "folder" if target.is_dir() else "file"
        return target, f"{path} is not a {what} here: using the bundled demo corpus: {target}"
    return path, None


def demo_material() -> tuple[Path, Path]:
    """The demo corpus folder and its codebook (guichet)."""
    corpus, codebook = demo_corpus(), codebooks().get(DEMO_CODEBOOK)
    if corpus is not None and codebook is not None:
        return corpus, codebook
    looked = ", ".join(str(root) for root in roots())
    raise InvalidInput(
        "the demo corpus (corpora/demo) and its codebook (codebooks/guichet.yaml) were not "
        f"found in {looked}",
        "reinstall qualcode (`pip install .` from its checkout installs them under "
        "<prefix>/share/qualcode)")
