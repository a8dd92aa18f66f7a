"""The ingest service: transactions per file, idempotence, replace with codings re-anchored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from qualcode import audit
from qualcode.corpus.ingest import collect_files, ingest_paths, reanchor
from qualcode.errors import QualcodeError
from qualcode.models import (
    Agent,
    AuditEntry,
    Code,
    Coder,
    Coding,
    Document,
    DocumentAgent,
    Segment,
    Suggestion,
)

V1 = ("E : Comment se passe une matinée au guichet ?\n\n"
      "Hélène : On ouvre à huit heures trente. La file est déjà longue.\n\n"
      "E : Et l’après-midi ?\n\n"
      "Hélène : C’est plus calme, on rappelle les gens.\n")
# A new question in front, the same answers: every coded passage is still there.
V2 = ("E : Vous êtes arrivée quand ?\n\n"
      "Hélène : En deux mille dix.\n\n" + V1)


def write(folder, name, text, encoding="utf-8"):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def doc_state(db, name):
    with db.session() as s:
        doc = s.scalar(select(Document).where(Document.name == name))
        if doc is None:
            return None
        segs = s.execute(select(Segment.n, Segment.start, Segment.end, Segment.speaker)
                         .where(Segment.document_id == doc.id).order_by(Segment.n)).all()
        return doc.text, [tuple(r) for r in segs]


def add_coding(db, doc_name, phrase, code="attente"):
    with db.session(write=True) as s:
        doc = s.scalar(select(Document).where(Document.name == doc_name))
        code_row = s.scalar(select(Code).where(Code.name == code))
        if code_row is None:
            code_row = Code(name=code, norm_name=code)
            s.add(code_row)
        coder = s.scalar(select(Coder)) or Coder(name="anne")
        s.add(coder)
        s.flush()
        start = doc.text.index(phrase)
        seg = s.scalar(select(Segment).where(Segment.document_id == doc.id,
                                             Segment.start <= start, Segment.end > start))
        s.add(Coding(code_id=code_row.id, document_id=doc.id, segment_id=seg.id, start=start,
                     end=start + len(phrase), coder_id=coder.id))
        s.add(Suggestion(segment_id=seg.id, code_id=code_row.id, score=0.9))


def test_added_then_unchanged(db, tmp_path):
    path = write(tmp_path, "entretien.txt", V1)
    [first] = ingest_paths(db, [path])
    assert (first.document, first.status, first.segments, first.encoding, first.kind) == (
        "entretien.txt", "added", 4, "utf-8", "interview")
    assert first.unknown_speakers == ["Hélène"]
    before = doc_state(db, "entretien.txt")
    [again] = ingest_paths(db, [path])
    assert (again.status, again.segments) == ("unchanged", 4)
    assert doc_state(db, "entretien.txt") == before
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 1


def test_changed_file_is_refused_without_replace(db, tmp_path):
    path = write(tmp_path, "entretien.txt", V1)
    ingest_paths(db, [path])
    write(tmp_path, "entretien.txt", V2)
    [result] = ingest_paths(db, [path])
    assert result.status == "error"
    assert "entretien.txt has changed since it was ingested" in result.error
    assert "--replace" in result.error
    assert doc_state(db, "entretien.txt")[0] == V1.strip()


def test_replace_moves_codings_and_drops_suggestions(db, tmp_path):
    path = write(tmp_path, "entretien.txt", V1)
    ingest_paths(db, [path])
    add_coding(db, "entretien.txt", "La file est déjà longue.")
    write(tmp_path, "entretien.txt", V2)
    [result] = ingest_paths(db, [path], replace=True)
    assert (result.status, result.segments, result.moved_codings) == ("replaced", 6, 1)
    text, segs = doc_state(db, "entretien.txt")
    with db.session() as s:
        coding = s.scalar(select(Coding))
        start, end = coding.start, coding.end
        seg_n = s.scalar(select(Segment.n).where(Segment.id == coding.segment_id))
        assert s.scalar(select(func.count()).select_from(Suggestion)) == 0
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "ingest-replace"))
        assert "1 codings re-anchored (1 moved)" in entry.summary
    assert text[start:end] == "La file est déjà longue."
    # V2 adds 60 characters in front: two turns (29 and 27) and two blank-line breaks.
    assert start == V1.index("La file") + 60 and seg_n == 4
    with db.session(write=True) as s, pytest.raises(QualcodeError, match="cannot be undone"):
        audit.undo(s)


def test_replace_nearest_match_when_the_text_repeats():
    old = "oui. bref. oui."
    new = "non. oui. bref. oui."
    assert reanchor(old, new, [(11, 15), (0, 4)]) == [(16, 20), (5, 9)]
    assert reanchor(old, "tout autre chose", [(0, 4)]) == [None]
    # Same context on both sides beats distance: the second `Oui.` stays the answer to the
    # question about the lunch break even though a new turn moved it far away.
    old = "E : Le matin ?\nA : Oui.\nE : Et la pause ?\nA : Oui."
    new = ("E : Le matin ?\nA : Oui.\nE : Un long ajout qui décale beaucoup le texte ?\n"
           "A : Non.\nE : Et la pause ?\nA : Oui.")
    second = old.rindex("Oui.")
    assert reanchor(old, new, [(second, second + 4)]) == [(new.rindex("Oui."),
                                                            new.rindex("Oui.") + 4)]


def test_replace_refused_when_a_coded_passage_is_gone(db, tmp_path):
    path = write(tmp_path, "entretien.txt", V1)
    ingest_paths(db, [path])
    add_coding(db, "entretien.txt", "La file est déjà longue.")
    add_coding(db, "entretien.txt", "on rappelle les gens", code="rappel")
    before = doc_state(db, "entretien.txt")
    write(tmp_path, "entretien.txt", V1.replace("La file est déjà longue.", "Personne."))
    [result] = ingest_paths(db, [path], replace=True)
    assert result.status == "error"
    assert "1 of 2 codings quote text that is not in the new version" in result.error
    # Where the lost coding was, never its words (error lines reach terminals and logs).
    assert "attente on entretien.txt:" in result.error and "(characters " in result.error
    assert "La file" not in result.error
    assert doc_state(db, "entretien.txt") == before
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Suggestion)) == 2


def test_a_failed_file_leaves_nothing(db, tmp_path, monkeypatch):
    import qualcode.corpus.documents as documents

    def broken(*_a, **_k):  # fails after the document and its agent link were written
        raise RuntimeError("disque plein")

    monkeypatch.setattr(documents, "_speaker_agents", broken)
    [result] = ingest_paths(db, [write(tmp_path, "e.txt", V1)], agents=["Hélène"])
    assert result.status == "error" and "unexpected RuntimeError at qualcode/" in result.error
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 0
        assert s.scalar(select(func.count()).select_from(Segment)) == 0
        assert s.scalar(select(func.count()).select_from(DocumentAgent)) == 0
        assert s.scalar(select(func.count()).select_from(Agent)) == 0


def test_folders_recurse_with_relative_names(tmp_path):
    root = tmp_path / "corpus"
    write(root, "entretien.txt", V1)
    write(root, "sous-dossier/notes.md", "Notes du jour.")
    write(root, ".cache/brouillon.txt", "caché")
    write(root, "sous-dossier/.brouillon.txt", "caché")
    write(root, "photo.png", "x")
    write(root, "README.md", "Ce dossier contient les entretiens.")
    batch = collect_files([root, write(tmp_path, "seul.txt", "Seul."), root / "README.md"])
    assert [name for _, name in batch.files] == ["entretien.txt", "sous-dossier/notes.md",
                                                 "seul.txt", "README.md"]
    assert batch.notes == [
        "skipped README.md (a folder's notes; name the file itself to ingest it)",
        "skipped photo.png (unsupported type .png)"]
    bad = collect_files([tmp_path / "photo.pdf", tmp_path / "absent"])
    assert bad.errors[1].error.endswith("absent: no such file or folder")


def test_kind_precedence_and_agents(db, tmp_path):
    turns = write(tmp_path, "t.txt", V1)
    notes = write(tmp_path, "n.txt", "Une matinée calme au centre.")
    front = write(tmp_path, "f.md", "---\nkind: observation\nagents: Karim, Hélène\n---\n"
                                    "E : Bonjour.\nKarim : Bonjour.")
    results = ingest_paths(db, [turns, notes, front], agents=["Joëlle"])
    assert [r.kind for r in results] == ["interview", "document", "observation"]
    [forced] = ingest_paths(db, [write(tmp_path, "k.txt", V1)], kind="document")
    assert forced.kind == "document"
    with db.session() as s:
        from qualcode.corpus.documents import list_documents

        agents = {d["name"]: d["agents"] for d in list_documents(s)}
    assert agents["f.md"] == ["Hélène", "Joëlle", "Karim"]
    assert agents["n.txt"] == ["Joëlle"]


def test_speakers_link_to_known_agents(db, tmp_path):
    from qualcode.corpus.agents import upsert_agent

    with db.session(write=True) as s:
        upsert_agent(s, "Helene")
    [result] = ingest_paths(db, [write(tmp_path, "e.txt", V1 + "Marc : Je passe.\n")])
    assert result.unknown_speakers == ["Marc"]
    with db.session() as s:
        linked = s.scalars(select(Segment.agent_id).where(Segment.speaker == "Hélène")).all()
        assert len(linked) == 2 and None not in linked


def test_interviewers_and_encoding_options(db, tmp_path):
    path = write(tmp_path, "s.txt", "Sociologue : Et l’œuvre ?\nMarc : Oui.", "cp1252")
    [result] = ingest_paths(db, [path], interviewers=["Sociologue"], encoding="cp1252")
    assert result.encoding == "cp1252" and result.unknown_speakers == ["Marc"]
    with db.session() as s:
        assert s.scalars(select(Segment.is_interviewer).order_by(Segment.n)).all() == [
            True, False]


def test_duplicates_are_reported(db, tmp_path):
    teaser = "La caisse ferme trois accueils de proximité et renvoie vers le site."
    [result] = ingest_paths(db, [write(tmp_path, "a.txt", f"{teaser}\n\nSuite.\n\n{teaser}")])
    assert result.duplicates == [[1, 3]] and result.segments == 3
