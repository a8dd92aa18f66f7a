"""Audited changes are undone exactly, whatever mix of inserts, updates and deletes they made."""

from __future__ import annotations

from sqlalchemy import select

from qualcode import audit, models
from qualcode.corpus.coders import get_or_create_coder


def _snapshot(s):
    codes = sorted((c.id, c.name, c.parent_id, c.description) for c in s.scalars(
        select(models.Code)))
    codings = sorted((c.id, c.code_id, c.start, c.end, c.coder_id, c.guid) for c in s.scalars(
        select(models.Coding)))
    return codes, codings


def test_undo_of_a_merge_like_change_restores_everything(db, make_doc):
    doc_id = make_doc("obs.txt", [(None, "Le guichet ferme."), (None, "La file attend.")],
                      kind="observation")
    with db.session(write=True) as s:
        parent = models.Code(name="stratégies", norm_name="stratégies")
        s.add(parent)
        s.flush()
        a = models.Code(name="retrait", norm_name="retrait", parent_id=parent.id)
        b = models.Code(name="évitement", norm_name="évitement", parent_id=parent.id)
        s.add_all([a, b])
        s.flush()
        child = models.Code(name="silence", norm_name="silence", parent_id=a.id)
        s.add(child)
        coder = get_or_create_coder(s, "ana")
        s.add_all([
            models.Coding(code_id=a.id, document_id=doc_id, start=0, end=17, coder_id=coder.id),
            models.Coding(code_id=b.id, document_id=doc_id, start=0, end=17, coder_id=coder.id),
            models.Coding(code_id=a.id, document_id=doc_id, start=19, end=34, coder_id=coder.id),
        ])
    with db.session() as s:
        before = _snapshot(s)
    # Merge `retrait` into `évitement`: move codings (dropping the duplicate), re-parent the
    # sub-code, rename the target's definition, delete the source.
    with db.session(write=True) as s, \
            audit.audited(s, action="merge", summary="merge", coder="ana"):
        a = s.scalar(select(models.Code).where(models.Code.name == "retrait"))
        b = s.scalar(select(models.Code).where(models.Code.name == "évitement"))
        for coding in s.scalars(select(models.Coding).where(models.Coding.code_id == a.id)):
            if coding.start == 0:
                s.delete(coding)
            else:
                coding.code_id = b.id
                s.add(coding)
        child = s.scalar(select(models.Code).where(models.Code.name == "silence"))
        child.parent_id = b.id
        b.description = "fusionné"
        s.add_all([child, b])
        s.flush()
        s.delete(a)
    with db.session() as s:
        assert _snapshot(s) != before
        assert [e.action for e in audit.history(s)] == ["merge"]
    with db.session(write=True) as s:
        undone = audit.undo(s)
        assert [e.action for e in undone] == ["merge"]
    with db.session() as s:
        assert _snapshot(s) == before
        assert audit.history(s)[0].undone is True


def test_insert_then_delete_in_one_change_leaves_no_trace_on_undo(db, make_doc):
    with db.session(write=True) as s, audit.audited(s, action="x", summary="x"):
        code = models.Code(name="éphémère", norm_name="éphémère")
        s.add(code)
        s.flush()
        s.delete(code)
    with db.session(write=True) as s, audit.audited(s, action="add", summary="add"):
        s.add(models.Code(name="durable", norm_name="durable"))
    with db.session(write=True) as s:
        audit.undo(s, 2)
    with db.session() as s:
        assert list(s.scalars(select(models.Code))) == []


def test_undo_with_nothing_to_undo_is_a_clear_error(db):
    import pytest

    from qualcode.errors import NotFound

    with db.session(write=True) as s, pytest.raises(NotFound, match="nothing to undo"):
        audit.undo(s)


def test_undo_stops_at_a_document_replacement_with_a_clear_message(cli, tmp_path):
    path = tmp_path / "e.txt"
    path.write_text("E : Bonjour.\n\nClaire : On nous prend pour des guichets.\n",
                    encoding="utf-8")
    cli.ok("ingest", path)
    cli.ok("codebook", "add", "discrédit")
    cli.ok("code", "apply", "e.txt:2", "discrédit")
    path.write_text("E : Bonjour madame.\n\nClaire : On nous prend pour des guichets.\n",
                    encoding="utf-8")
    cli.ok("ingest", path, "--replace")
    before = cli.json("docs", "show", "e.txt")["segments"][1]["codes"]
    result = cli("undo")
    assert result.exit_code == 1
    assert "cannot be undone" in result.stderr and "--replace" in result.stderr
    assert cli.json("docs", "show", "e.txt")["segments"][1]["codes"] == before == ["discrédit"]
    assert cli.ok("check")
