"""The codebook as plain data, independent of the database and of any file format."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class CodeSpec:
    """One code of the tree. ``guid`` is kept across exports so other tools can follow it."""

    name: str
    description: str = ""
    inclusion: str = ""
    exclusion: str = ""
    examples: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    colour: str | None = None  # "#RRGGBB"
    guid: str | None = None
    is_codable: bool = True
    children: list[CodeSpec] = field(default_factory=list)


@dataclass
class CodeSetSpec:
    """A code group (REFI-QDA ``Set``): members named by code GUID or, failing that, by name."""

    name: str
    description: str = ""
    guid: str | None = None
    members: list[str] = field(default_factory=list)


# Fields of a code that a file format can hold; an import only updates the fields its source
# holds (a .qdc has no examples or keywords, so importing one keeps those in the database).
ALL_FIELDS: frozenset[str] = frozenset(
    {"description", "inclusion", "exclusion", "examples", "keywords", "colour", "is_codable"}
)
REFI_FIELDS: frozenset[str] = frozenset(
    {"description", "inclusion", "exclusion", "colour", "is_codable"}
)


@dataclass
class Codebook:
    name: str = ""
    description: str = ""
    version: str = ""
    codes: list[CodeSpec] = field(default_factory=list)
    sets: list[CodeSetSpec] = field(default_factory=list)
    # The code fields the source of this codebook holds (see ALL_FIELDS / REFI_FIELDS).
    fields: frozenset[str] = ALL_FIELDS

    def walk(self) -> Iterator[tuple[CodeSpec, CodeSpec | None]]:
        """Every code, parents before children, with its parent (None at the top)."""
        stack: list[tuple[CodeSpec, CodeSpec | None]] = [(c, None) for c in reversed(self.codes)]
        while stack:
            code, parent = stack.pop()
            yield code, parent
            stack.extend((child, code) for child in reversed(code.children))

    def count(self) -> int:
        return sum(1 for _ in self.walk())
