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


@dataclass
class Codebook:
    name: str = ""
    description: str = ""
    version: str = ""
    codes: list[CodeSpec] = field(default_factory=list)
    sets: list[CodeSetSpec] = field(default_factory=list)

    def walk(self) -> Iterator[tuple[CodeSpec, CodeSpec | None]]:
        """Every code, parents before children, with its parent (None at the top)."""
        stack: list[tuple[CodeSpec, CodeSpec | None]] = [(c, None) for c in reversed(self.codes)]
        while stack:
            code, parent = stack.pop()
            yield code, parent
            stack.extend((child, code) for child in reversed(code.children))

    def count(self) -> int:
        return sum(1 for _ in self.walk())
