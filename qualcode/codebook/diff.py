"""What changed between two codebooks, for a team reviewing a codebook change.

Codes are paired by GUID when both sides have the same one (so a rename is seen as a rename),
then by name (case-insensitively). Fields are compared only where both sources hold them: a
.qdc has no examples or keywords, so comparing it with a YAML file reports no change there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .model import Codebook, CodeSpec
from .names import code_key

_COMPARED = ("description", "inclusion", "exclusion", "examples", "keywords", "colour",
             "is_codable")


@dataclass
class CodebookDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # guid, old, new; a change of case only is listed too (guid None when matched by name)
    renamed: list[dict[str, str | None]] = field(default_factory=list)
    moved: list[dict[str, str | None]] = field(default_factory=list)  # code, old/new parent
    changed: list[dict[str, Any]] = field(default_factory=list)  # code, field, old, new

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.renamed or self.moved or self.changed)

    def as_dict(self) -> dict[str, Any]:
        return {"added": self.added, "removed": self.removed, "renamed": self.renamed,
                "moved": self.moved, "changed": self.changed}


def _index(book: Codebook) -> list[tuple[CodeSpec, CodeSpec | None]]:
    return list(book.walk())


def diff_codebooks(old: Codebook, new: Codebook) -> CodebookDiff:
    result = CodebookDiff()
    old_codes, new_codes = _index(old), _index(new)
    new_by_guid = {c.guid: c for c, _ in new_codes if c.guid}
    new_by_key = {code_key(c.name): c for c, _ in new_codes}
    pairs: dict[int, CodeSpec] = {}  # id(old spec) -> new spec
    taken: set[int] = set()
    for code, _ in old_codes:  # GUID first: a renamed code keeps its GUID
        match = new_by_guid.get(code.guid) if code.guid else None
        if match is not None and id(match) not in taken:
            pairs[id(code)] = match
            taken.add(id(match))
    for code, _ in old_codes:
        if id(code) in pairs:
            continue
        match = new_by_key.get(code_key(code.name))
        if match is not None and id(match) not in taken:
            pairs[id(code)] = match
            taken.add(id(match))
    new_parent = {id(c): p for c, p in new_codes}
    fields = [f for f in _COMPARED if f in old.fields and f in new.fields]
    for code, parent in old_codes:
        match = pairs.get(id(code))
        if match is None:
            result.removed.append(code.name)
            continue
        if match.name != code.name:
            result.renamed.append({"guid": match.guid, "old": code.name, "new": match.name})
        target_parent = new_parent[id(match)]
        if parent is None:
            moved = target_parent is not None
        else:  # a child whose parent was removed has moved too (delete --force lifts it)
            expected = pairs.get(id(parent))
            moved = expected is None or expected is not target_parent
        if moved:
            result.moved.append({"code": match.name,
                                 "old_parent": parent.name if parent else None,
                                 "new_parent": target_parent.name if target_parent else None})
        for name in fields:
            before, after = getattr(code, name), getattr(match, name)
            if before != after:
                result.changed.append({"code": match.name, "field": name,
                                       "old": before, "new": after})
    result.added = [c.name for c, _ in new_codes if id(c) not in taken]
    return result
