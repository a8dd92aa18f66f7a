"""The codebook as YAML: the format a team keeps in git (see docs/codebook.md).

Loading is strict (unknown keys, duplicate names, bad colours are errors that name the code and
the line); dumping is stable (same codebook, same bytes) and round-trips every field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import InvalidInput
from .model import Codebook, CodeSetSpec, CodeSpec
from .names import check_colour, check_depth, clean_name, code_key, normalise_guid

TOP_KEYS = ("name", "version", "description", "codes", "sets")
CODE_KEYS = ("name", "colour", "guid", "codable", "description", "inclusion", "exclusion",
             "examples", "keywords", "children")
SET_KEYS = ("name", "guid", "description", "codes")
_LINE = "__line__"
FORMAT_HINT = "see docs/codebook.md for the codebook YAML format"


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping, for error messages."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping: dict[Any, Any] = loader.construct_mapping(node, deep=True)
    mapping[_LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, source: str = "codebook") -> Codebook:
    """Parse and validate codebook YAML text."""
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InvalidInput(f"{source} is not valid YAML{where}: {problem}",
                           "check the indentation, quotes and special characters there") from None
    except RecursionError:  # PyYAML composes nested collections recursively
        raise InvalidInput(f"{source} nests lists or mappings too deeply to be a codebook",
                           "no real codebook is that deep: check the file") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{source} is not a codebook: expected a mapping with `name` and "
                           "`codes`", FORMAT_HINT)
    _check_keys(data, TOP_KEYS, f"{source}, top level")
    codes_raw = data.get("codes")
    if codes_raw is None:
        codes_raw = []
    if not isinstance(codes_raw, list):
        raise InvalidInput(f"{source}, line {data[_LINE]}: `codes` must be a list", FORMAT_HINT)
    book = Codebook(
        name=_text(data, "name", f"{source}, top level"),
        version=_text(data, "version", f"{source}, top level"),
        description=_text(data, "description", f"{source}, top level").rstrip(),
        codes=[_code(raw, source, None) for raw in codes_raw],
    )
    sets_raw = data.get("sets") or []
    if not isinstance(sets_raw, list):
        raise InvalidInput(f"{source}: `sets` must be a list", FORMAT_HINT)
    book.sets = [_set(raw, source) for raw in sets_raw]
    _check_unique(book, source)
    if not book.name.strip():  # tables and exports cite the codebook by name and version
        raise InvalidInput(f"{source}, top level: the codebook has no `name`",
                           "add a first line such as `name: Guichet`")
    return book


def load_yaml(path: str | Path) -> Codebook:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", "check the path") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8", "save the codebook as UTF-8") from None
    return parse_yaml(text, source=path.name)


def _where(source: str, raw: dict[str, Any], name: str | None = None) -> str:
    label = f", code {name!r}" if name else ""
    return f"{source}, line {raw.get(_LINE, '?')}{label}"


def _check_keys(raw: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = [str(k) for k in raw if k != _LINE and k not in allowed]
    if unknown:
        raise InvalidInput(f"{where}: unknown key{'s' if len(unknown) > 1 else ''} "
                           f"{', '.join(repr(k) for k in unknown)}",
                           f"allowed keys: {', '.join(allowed)}")


def _text(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidInput(f"{where}: `{key}` must be text, not {type(value).__name__}",
                           "quote the value")
    return str(value)


def _list(raw: dict[str, Any], key: str, where: str) -> list[str]:
    value = raw.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        raise InvalidInput(f"{where}: `{key}` must be a list", f'write {key}: ["...", "..."]')
    if not isinstance(value, list):
        raise InvalidInput(f"{where}: `{key}` must be a list", FORMAT_HINT)
    out = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise InvalidInput(f"{where}: every item of `{key}` must be text", "quote the items")
        out.append(str(item))
    return out


def _named(check: Any, name: str, where: str) -> str:
    try:
        return check(name)
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc.message}", exc.hint) from None


def _code(raw: Any, source: str, parent: str | None, depth: int = 1) -> CodeSpec:
    if not isinstance(raw, dict):
        under = f" under {parent!r}" if parent else ""
        raise InvalidInput(f"{source}: a code{under} is {type(raw).__name__}, not a mapping "
                           "with a `name`", FORMAT_HINT)
    where = _where(source, raw)
    if "name" not in raw:
        raise InvalidInput(f"{where}: a code has no `name`", FORMAT_HINT)
    name = _named(clean_name, _text(raw, "name", where), where)
    check_depth(depth, name)
    where = _where(source, raw, name)
    _check_keys(raw, CODE_KEYS, where)
    colour = raw.get("colour")
    codable = raw.get("codable", True)
    if not isinstance(codable, bool):
        raise InvalidInput(f"{where}: `codable` must be true or false", "write codable: false")
    children = raw.get("children")
    if children is None:
        children = []
    if not isinstance(children, list):
        raise InvalidInput(f"{where}: `children` must be a list of codes", FORMAT_HINT)
    return CodeSpec(
        name=name,
        # a `|` block ends with a newline that nobody means as part of the definition
        description=_text(raw, "description", where).rstrip(),
        inclusion=_text(raw, "inclusion", where).rstrip(),
        exclusion=_text(raw, "exclusion", where).rstrip(),
        examples=_list(raw, "examples", where),
        keywords=_list(raw, "keywords", where),
        colour=check_colour(_text(raw, "colour", where), where) if colour else None,
        guid=normalise_guid(_text(raw, "guid", where)),
        is_codable=codable,
        children=[_code(child, source, name, depth + 1) for child in children],
    )


def _set(raw: Any, source: str) -> CodeSetSpec:
    if not isinstance(raw, dict) or "name" not in raw:
        raise InvalidInput(f"{source}: every set needs a `name`", FORMAT_HINT)
    name = _named(lambda n: clean_name(n, what="set"), _text(raw, "name", _where(source, raw)),
                  _where(source, raw))
    where = f"{_where(source, raw)}, set {name!r}"
    _check_keys(raw, SET_KEYS, where)
    return CodeSetSpec(name=name, description=_text(raw, "description", where),
                       guid=normalise_guid(_text(raw, "guid", where)),
                       members=_list(raw, "codes", where))


def _check_unique(book: Codebook, source: str) -> None:
    seen: dict[str, str] = {}
    guids: dict[str, str] = {}
    for code, _parent in book.walk():
        key = code_key(code.name)
        if key in seen:
            raise InvalidInput(f"{source}: code {code.name!r} appears twice (names are unique, "
                               f"case-insensitively: see {seen[key]!r})", "rename one of them")
        seen[key] = code.name
        if code.guid:
            if code.guid in guids:
                raise InvalidInput(f"{source}: codes {guids[code.guid]!r} and {code.name!r} "
                                   "have the same guid", "remove one of the guids")
            guids[code.guid] = code.name
    set_names: set[str] = set()
    for code_set in book.sets:
        if code_key(code_set.name) in set_names:
            raise InvalidInput(f"{source}: set {code_set.name!r} appears twice",
                               "merge the two sets")
        set_names.add(code_key(code_set.name))
        for member in code_set.members:
            if code_key(member) not in seen and normalise_guid(member) not in guids:
                raise InvalidInput(f"{source}: set {code_set.name!r} names an unknown code "
                                   f"{member!r}", "use the name of a code of this codebook")


# --- writing -------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line text as literal blocks, lists indented under their key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value.strip("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _code_dict(code: CodeSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"name": code.name}
    if code.colour:
        out["colour"] = code.colour
    if code.guid:
        out["guid"] = code.guid
    if not code.is_codable:
        out["codable"] = False
    for key in ("description", "inclusion", "exclusion"):
        if getattr(code, key):
            out[key] = getattr(code, key)
    for key in ("examples", "keywords"):
        if getattr(code, key):
            out[key] = list(getattr(code, key))
    if code.children:
        out["children"] = [_code_dict(c) for c in code.children]
    return out


def to_data(book: Codebook) -> dict[str, Any]:
    data: dict[str, Any] = {"name": book.name}
    if book.version:
        data["version"] = book.version
    if book.description:
        data["description"] = book.description
    data["codes"] = [_code_dict(c) for c in book.codes]
    if book.sets:
        data["sets"] = []
        for code_set in book.sets:
            entry: dict[str, Any] = {"name": code_set.name}
            if code_set.guid:
                entry["guid"] = code_set.guid
            if code_set.description:
                entry["description"] = code_set.description
            entry["codes"] = list(code_set.members)
            data["sets"].append(entry)
    return data


def dump_yaml(book: Codebook) -> str:
    """Stable, readable YAML; `parse_yaml(dump_yaml(b))` gives back every field of `b`."""
    return yaml.dump(to_data(book), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=100, indent=2)
