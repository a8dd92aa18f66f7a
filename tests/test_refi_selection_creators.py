"""The coder of a coding is who made its selection (NVivo names its owner on every Coding);
selection GUIDs, creators and dates survive a qualcode round trip."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import defusedxml.ElementTree as DET
import pytest
from support.refi import FIXTURES, assert_valid, coded_texts

from qualcode.db import Database, open_db
from qualcode.refi.exporter import export_qdpx
from qualcode.refi.importer import import_qdpx

NVIVO12 = FIXTURES / "nvivo12_selection_creators.qdpx"
NS = {"q": "urn:QDA-XML:project:1.0"}
DOC = "entretien_julie.txt"


def _selections(path: Path) -> list[dict]:
    """Every coded selection, creators given by user name (GUIDs differ between tools)."""
    with zipfile.ZipFile(path) as zf:
        root = DET.fromstring(zf.read("project.qde"))
    users = {u.get("guid").strip("{}").lower(): u.get("name")
             for u in root.findall("q:Users/q:User", NS)}

    def who(guid: str | None) -> str | None:
        return users.get(guid.strip("{}").lower()) if guid else None

    out = []
    for sel in root.iter("{urn:QDA-XML:project:1.0}PlainTextSelection"):
        codings = sel.findall("q:Coding", NS)
        if not codings:
            continue
        out.append({
            "guid": sel.get("guid").strip("{}").lower(),
            "span": (int(sel.get("startPosition")), int(sel.get("endPosition"))),
            "creator": who(sel.get("creatingUser")),
            "created": sel.get("creationDateTime"),
            "codings": sorted((c.get("guid"), who(c.get("creatingUser")),
                               c.get("creationDateTime")) for c in codings),
        })
    return sorted(out, key=lambda s: s["guid"])


def _import(db: Database, path: Path) -> dict:
    with db.session(write=True) as s:
        return import_qdpx(s, path, coder="importeur")


def test_selection_creator_is_the_coder(db: Database) -> None:
    report = _import(db, NVIVO12)
    assert report["unplaced"] == [] and report["codings"]["added"] == 6
    assert coded_texts(db) == [
        (DOC, "entraide", "Claire Dubois", "On s'arrange"),  # she made this selection
        (DOC, "entraide", "Claire Dubois", "Sans ça on ne tiendrait pas."),  # no creator:
        (DOC, "entraide", "Julien Moreau", "On s'arrange, on se remplace."),  # the Coding's
        (DOC, "hiérarchie", "Julien Moreau", "La direction, sans nous demander."),
        (DOC, "hiérarchie", "Julien Moreau", "On l'apprend par mail 📧 la veille."),
        (DOC, "information", "Julien Moreau", "On l'apprend par mail 📧 la veille."),
    ]


def test_agreement_sees_both_coders(db: Database, cli) -> None:
    """With every coding credited to the Coding's creator, Julien would have coded nothing."""
    cli.ok("import", "qdpx", str(NVIVO12))
    result = cli.json("agreement", "--coders", "Julien Moreau", "Claire Dubois")
    per_code = {c["code"]: (c["both"], c["only_a"], c["only_b"]) for c in result["codes"]}
    assert per_code["hiérarchie"] == (0, 1, 0)
    assert per_code["information"] == (0, 1, 0)
    assert per_code["entraide"] == (1, 0, 0)  # both coded Julie's last turn
    assert result["units"] == 2


def test_round_trip_keeps_selection_guids_creators_and_dates(db: Database,
                                                             tmp_path: Path) -> None:
    theirs = _selections(NVIVO12)
    _import(db, NVIVO12)
    out = tmp_path / "back.qdpx"
    with db.session() as s:
        export_qdpx(s, out, positions="utf16")
    ours = _selections(out)
    # Same selections (one still holds its two codings), same positions, same dates; a
    # selection without creator now names the coder it was credited to.
    missing = [s for s in theirs if s["creator"] is None]
    assert len(missing) == 1
    missing[0]["creator"] = "Claire Dubois"
    assert ours == theirs
    assert any(len(s["codings"]) == 2 for s in ours)
    assert {c[1] for s in ours for c in s["codings"]} == {"Claire Dubois"}

    # And again through a fresh corpus: the same project.qde (but its own date).
    fresh = open_db(str(tmp_path / "fresh.db"))
    _import(fresh, out)
    assert coded_texts(fresh) == coded_texts(db)
    again = tmp_path / "again.qdpx"
    with fresh.session() as s:
        export_qdpx(s, again, positions="utf16")

    def qde(path: Path) -> str:
        text = zipfile.ZipFile(path).read("project.qde").decode()
        return re.sub(r' creationDateTime="[^"]*"', "", text, count=1)

    assert qde(again) == qde(out)


def test_code_point_export_keeps_them_too(db: Database, tmp_path: Path) -> None:
    _import(db, NVIVO12)
    out = tmp_path / "cp.qdpx"
    with db.session() as s:
        export_qdpx(s, out)
    ours = {s["guid"]: (s["creator"], s["created"], s["codings"]) for s in _selections(out)}
    theirs = {s["guid"]: (s["creator"] or "Claire Dubois", s["created"], s["codings"])
              for s in _selections(NVIVO12)}
    assert ours == theirs


@pytest.mark.refi_shared
def test_export_with_kept_selections_is_valid(db: Database, tmp_path: Path) -> None:
    _import(db, NVIVO12)
    for positions in ("codepoints", "utf16"):
        with db.session() as s:
            export_qdpx(s, tmp_path / f"{positions}.qdpx", positions=positions)
        assert_valid(tmp_path / f"{positions}.qdpx")
