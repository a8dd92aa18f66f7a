"""`codebook diff`: added, removed, renamed (by GUID), moved and changed codes."""

from __future__ import annotations

from qualcode.codebook.diff import diff_codebooks
from qualcode.codebook.model import REFI_FIELDS
from qualcode.codebook.yaml_io import parse_yaml

OLD = """\
name: v1
codes:
  - name: stratégies
    colour: "#1E8449"
    children:
      - name: ruse
        guid: 0f0f0f0f-0000-4000-8000-000000000001
        description: Petits arrangements.
        keywords: [ruser]
      - name: retrait
  - name: discrédit
    children:
      - name: méfiance
  - name: brouillon
"""

NEW = """\
name: v2
codes:
  - name: Stratégies
    colour: "#145A32"
    children:
      - name: arrangements
        guid: 0F0F0F0F-0000-4000-8000-000000000001
        description: Petits arrangements avec la règle.
        keywords: [ruser, s'arranger]
  - name: discrédit
    children:
      - name: méfiance
      - name: retrait
  - name: entraide
"""


def test_diff_lists_each_kind_of_change():
    diff = diff_codebooks(parse_yaml(OLD), parse_yaml(NEW))
    assert diff.added == ["entraide"]
    assert diff.removed == ["brouillon"]
    assert diff.renamed == [
        {"guid": None, "old": "stratégies", "new": "Stratégies"},  # re-spelt: shown too
        {"guid": "0f0f0f0f-0000-4000-8000-000000000001", "old": "ruse", "new": "arrangements"},
    ]
    assert diff.moved == [{"code": "retrait", "old_parent": "stratégies",
                           "new_parent": "discrédit"}]
    assert diff.changed == [
        {"code": "Stratégies", "field": "colour", "old": "#1E8449", "new": "#145A32"},
        {"code": "arrangements", "field": "description", "old": "Petits arrangements.",
         "new": "Petits arrangements avec la règle."},
        {"code": "arrangements", "field": "keywords", "old": ["ruser"],
         "new": ["ruser", "s'arranger"]},
    ]


def test_same_codebook_has_no_differences_and_refi_fields_only_compare_what_both_hold():
    assert diff_codebooks(parse_yaml(OLD), parse_yaml(OLD)).empty
    refi = parse_yaml(OLD.replace("        keywords: [ruser]\n", ""))
    refi.fields = REFI_FIELDS  # as read from a .qdc: no keywords there
    assert diff_codebooks(parse_yaml(OLD), refi).empty


def test_cli_diff_against_the_database_and_between_files(cli, tmp_path):
    old, new = tmp_path / "v1.yaml", tmp_path / "v2.yaml"
    old.write_text(OLD, encoding="utf-8")
    new.write_text(NEW, encoding="utf-8")
    cli.ok("codebook", "import", old)
    assert cli.json("codebook", "diff", old) == {"added": [], "removed": [], "renamed": [],
                                                 "moved": [], "changed": []}
    cli.ok("codebook", "rename", "brouillon", "ébauche")
    db_diff = cli.json("codebook", "diff", old)
    assert (db_diff["added"], db_diff["removed"]) == (["ébauche"], ["brouillon"])  # no guid
    files = cli.json("codebook", "diff", old, new)
    assert files["renamed"][1]["new"] == "arrangements"
    text = cli.ok("codebook", "diff", old, new).stdout
    assert "+ added   entraide" in text
    assert "- removed brouillon" in text
    assert "~ renamed ruse → arrangements" in text
    assert "↳ moved   retrait: stratégies → discrédit" in text
    assert "* changed arrangements description:" in text


def test_cli_diff_after_export_sees_renames_by_guid(cli, tmp_path):
    old = tmp_path / "v1.yaml"
    old.write_text(OLD, encoding="utf-8")
    cli.ok("codebook", "import", old)
    exported = tmp_path / "avec_guid.qdc"
    cli.ok("codebook", "export", exported)
    cli.ok("codebook", "rename", "retrait", "repli")
    cli.ok("codebook", "move", "repli", "--parent", "discrédit")
    diff = cli.json("codebook", "diff", exported)
    assert [(r["old"], r["new"]) for r in diff["renamed"]] == [("retrait", "repli")]
    assert diff["moved"] == [{"code": "repli", "old_parent": "stratégies",
                              "new_parent": "discrédit"}]
    assert diff["added"] == diff["removed"] == diff["changed"] == []


def test_children_of_a_removed_code_are_moved():
    """`codebook delete --force` lifts a code's children to its parent: the diff says so."""
    before = parse_yaml("name: v1\ncodes:\n  - name: perte de sens\n    children:\n"
                        "      - name: cadence\n      - name: chiffre\n  - name: entraide\n")
    after = parse_yaml("name: v1\ncodes:\n  - name: cadence\n  - name: chiffre\n"
                       "  - name: entraide\n")
    diff = diff_codebooks(before, after)
    assert diff.removed == ["perte de sens"]
    assert diff.moved == [{"code": "cadence", "old_parent": "perte de sens", "new_parent": None},
                          {"code": "chiffre", "old_parent": "perte de sens", "new_parent": None}]
    # and the other way: children that stay under a removed code's stand-in are not noise
    assert diff_codebooks(after, after).moved == []
