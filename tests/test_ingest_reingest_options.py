"""Re-ingesting unchanged bytes with options that would change the document: said plainly
without --replace, applied (codings kept) with it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qualcode.corpus.ingest import ingest_paths
from qualcode.errors import InvalidInput
from qualcode.models import Code, Coder, Coding, Document, Segment

TEXT = ("Sociologue : Vous arrivez à quelle heure ?\n"
        "Nadia : Vers sept heures, avant l’ouverture du guichet.\n"
        "Sociologue : Et le soir ?\n"
        "Nadia : Je pars quand la file est vide.\n")


def write(folder, name, text, encoding="utf-8"):
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def state(db, name):
    with db.session() as s:
        doc = s.scalar(select(Document).where(Document.name == name))
        segs = s.execute(select(Segment.id, Segment.speaker, Segment.is_interviewer)
                         .where(Segment.document_id == doc.id).order_by(Segment.n)).all()
        return doc.kind, doc.encoding, [tuple(r) for r in segs]


def code(db, name, phrase):
    with db.session(write=True) as s:
        doc = s.scalar(select(Document).where(Document.name == name))
        row, coder = Code(name="horaires", norm_name="horaires"), Coder(name="anne")
        s.add_all([row, coder])
        s.flush()
        start = doc.text.index(phrase)
        seg = s.scalar(select(Segment).where(Segment.document_id == doc.id,
                                             Segment.start <= start, Segment.end > start))
        s.add(Coding(code_id=row.id, document_id=doc.id, segment_id=seg.id, start=start,
                     end=start + len(phrase), coder_id=coder.id))


def coded(db):
    with db.session() as s:
        coding = s.scalar(select(Coding))
        doc = s.get(Document, coding.document_id)
        speaker = s.scalar(select(Segment.speaker).where(Segment.id == coding.segment_id))
        return doc.text[coding.start:coding.end], speaker


def test_options_on_unchanged_bytes_are_reported_not_applied(db, tmp_path):
    path = write(tmp_path, "nadia.txt", TEXT)
    ingest_paths(db, [path])
    before = state(db, "nadia.txt")
    assert before[0] == "interview"
    [same] = ingest_paths(db, [path], kind="interview")
    assert (same.status, same.not_applied) == ("unchanged", [])
    [result] = ingest_paths(db, [path], kind="observation", interviewers=["Sociologue"])
    assert result.status == "unchanged"
    assert result.not_applied == ["--kind observation", "--interviewer Sociologue"]
    assert state(db, "nadia.txt") == before


def test_replace_rereads_unchanged_bytes_with_new_options_keeping_codings(db, tmp_path):
    path = write(tmp_path, "nadia.txt", TEXT)
    ingest_paths(db, [path])
    code(db, "nadia.txt", "Vers sept heures")
    [result] = ingest_paths(db, [path], interviewers=["Sociologue"], replace=True)
    assert result.status == "replaced"
    kind, _enc, segs = state(db, "nadia.txt")
    assert [(speaker, inter) for _id, speaker, inter in segs] == [
        ("Sociologue", True), ("Nadia", False), ("Sociologue", True), ("Nadia", False)]
    assert kind == "interview"
    assert coded(db) == ("Vers sept heures", "Nadia")


def test_replace_changes_only_the_kind_in_place(db, tmp_path):
    path = write(tmp_path, "nadia.txt", TEXT)
    ingest_paths(db, [path])
    code(db, "nadia.txt", "la file est vide")
    _kind, _enc, segs = state(db, "nadia.txt")
    [result] = ingest_paths(db, [path], kind="observation", replace=True)
    assert result.status == "replaced" and result.kind == "observation"
    assert state(db, "nadia.txt") == ("observation", "utf-8", segs)  # same segment ids
    assert coded(db) == ("la file est vide", "Nadia")
    # A later re-read without --kind keeps the kind chosen by hand.
    ingest_paths(db, [path], interviewers=["Sociologue"], replace=True)
    assert state(db, "nadia.txt")[0] == "observation"


def test_replace_with_another_encoding(db, tmp_path):
    # No byte 0x80-0x9F: detected as Latin-1; forcing Windows-1252 reads the same text.
    path = write(tmp_path, "notes.txt", "Réunion à Noël, très animée.\n", "latin-1")
    [first] = ingest_paths(db, [path])
    assert first.encoding == "latin-1"
    [kept] = ingest_paths(db, [path], encoding="cp1252")
    assert kept.not_applied == ["--encoding cp1252"]
    [result] = ingest_paths(db, [path], encoding="cp1252", replace=True)
    assert (result.status, result.encoding) == ("replaced", "cp1252")
    assert state(db, "notes.txt")[1] == "cp1252"


def test_unknown_encoding_is_an_error_even_for_unchanged_files(db, tmp_path):
    path = write(tmp_path, "nadia.txt", TEXT)
    ingest_paths(db, [path])
    with pytest.raises(InvalidInput, match="unknown encoding 'klingon'"):
        ingest_paths(db, [path], encoding="klingon")


def test_cli_says_which_options_were_not_applied(cli, tmp_path):
    path = write(tmp_path, "nadia.txt", TEXT)
    cli.ok("ingest", path)
    result = cli.ok("ingest", path, "--kind", "observation")
    # 32 whitespace-separated tokens, labels and colons included (8 + 9 + 6 + 9).
    assert result.stdout == "unchanged nadia.txt: 4 segments, 32 words, utf-8\n"
    assert ("nadia.txt is unchanged and already in the corpus as interview (read as utf-8); "
            "not applied: --kind observation (to re-read it with other options, ingest it "
            "again with --replace; its codings are kept)") in result.stderr
    assert cli.json("docs", "list")[0]["kind"] == "interview"
    replaced = cli.ok("ingest", path, "--kind", "observation", "--replace")
    assert replaced.stdout.startswith("replaced nadia.txt")
    assert cli.json("docs", "list")[0]["kind"] == "observation"
    bad = cli("ingest", path, "--encoding", "klingon")
    assert bad.exit_code == 1
    assert bad.stderr == ("Error: unknown encoding 'klingon' (use e.g. utf-8, cp1252, latin-1 "
                          "or utf-16)\n")
