"""`qualcode copy --to`: a whole corpus moves between databases, verified, and nothing else."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from conftest import PG_SERVER, Cli, pg_create_database, pg_drop_database
from sqlmodel import select

from qualcode import models
from qualcode.db import open_db
from qualcode.transfer import copy_corpus, corpus_digest

needs_pg = pytest.mark.skipif(not PG_SERVER, reason="needs a server: set QUALCODE_TEST_PG")

AGENTS_CSV = "nom,profil,âge\nMartine,pragmatique,52\nRémi,légaliste,38\n"


@pytest.fixture
def corpus(cli, make_doc, db, tmp_path):
    """A small corpus touching every table, built through the commands a team would use."""
    (tmp_path / "agents.csv").write_text(AGENTS_CSV, encoding="utf-8")
    cli.ok("agents", "import", tmp_path / "agents.csv")
    make_doc("guichet_01.txt", [("E", "Comment se passe l’accueil ?"),
                                ("Martine", "On fait «au mieux», avec les moyens du bord."),
                                ("Martine", "Parfois on contourne la règle.")],
             agents=("Martine",))
    notes = make_doc("notes_terrain.md", [(None, "Salle d’attente pleine, 9 h 10."),
                                  (None, "Un usager s’énerve au guichet 3.")],
             kind="observation")
    # The child is created before its parent: its id is smaller than its parent's.
    cli.ok("codebook", "add", "contournement", "--keyword", "contourne")
    cli.ok("codebook", "add", "stratégies", "--colour", "#1F618D", "-d", "Façons de faire.")
    cli.ok("codebook", "move", "contournement", "--parent", "stratégies")
    cli.ok("codebook", "add", "débrouille", "--parent", "stratégies")
    cli.ok("code", "apply", "guichet_01.txt:2", "débrouille", "--coder", "anne")
    cli.ok("code", "apply", "guichet_01.txt:3", "contournement", "--coder", "anne")
    cli.ok("code", "apply", "guichet_01.txt:3", "contournement", "--coder", "bruno")
    cli.ok("memo", "add", "code:contournement", "Voir aussi le guichet 3.", "--title", "idée")
    with db.session(write=True) as s:
        segment = s.exec(select(models.Segment).where(models.Segment.n == 1,
                                                      models.Segment.document_id == notes)).one()
        code = s.exec(select(models.Code).where(models.Code.name == "débrouille")).one()
        s.add(models.Suggestion(segment_id=segment.id, code_id=code.id, score=0.625,
                                evidence={"mots": ["énerve"], "poids": 0.5}, scorer="kw-1",
                                decided_at=datetime(2024, 3, 1, 8, 0, tzinfo=UTC)))
        s.add(models.AnalysisCache(text_hash="abc", model="fr_core_news_md-3.8.0",
                                   data=bytes(range(256))))
        s.add(models.Meta(key="projet", value="Guichets"))
    return db


def _counts(db_url: str) -> dict[str, int]:
    return {t.table: t.rows for t in corpus_digest(db_url)}


def test_sqlite_to_sqlite_keeps_everything(corpus, tmp_path, cli):
    target = tmp_path / "copie.db"
    report = copy_corpus(corpus.url, str(target))
    assert corpus_digest(str(target)) == report == corpus_digest(corpus.url)
    rows = {t.table: t.rows for t in report}
    assert rows["document"] == 2 and rows["segment"] == 5 and rows["agent"] == 2
    assert rows["agent_attribute"] == 4 and rows["code"] == 3 and rows["coding"] == 3
    assert rows["coder"] >= 2 and rows["memo"] == 1 and rows["suggestion"] == 1
    assert rows["audit"] >= 7 and rows["analysis_cache"] == 1
    # The copy is a working corpus: new rows get fresh ids, the commands read it.
    on_copy = Cli(target)
    assert [d["name"] for d in on_copy.json("docs", "list")] == ["guichet_01.txt",
                                                                 "notes_terrain.md"]
    on_copy.ok("code", "apply", "notes_terrain.md:2", "débrouille", "--coder", "chloé")
    with open_db(str(target)).session() as s:
        assert sorted(c.id for c in s.exec(select(models.Coding))) == [1, 2, 3, 4]


@pytest.mark.sqlite_only
def test_copy_command_prints_the_verified_table(corpus, cli, tmp_path):
    target = tmp_path / "copie.db"
    result = cli.ok("copy", "--to", target)
    assert "every table verified identical" in result.stderr
    assert "coding" in result.stdout and "suggestion" in result.stdout
    data = json.loads(cli.ok("copy", "--to", tmp_path / "autre.db", "--json").stdout)
    assert data["verified"] is True
    assert {t["table"]: t["rows"] for t in data["tables"]}["coding"] == 3


def test_copy_to_a_non_empty_target_is_refused_and_leaves_it_unchanged(corpus, cli, tmp_path):
    target = tmp_path / "occupé.db"
    other = open_db(str(target))
    with other.session(write=True) as s:
        s.add(models.Coder(name="déjà là"))
    before = corpus_digest(str(target))
    result = cli("copy", "--to", target)
    assert result.exit_code == 1
    assert "not empty (coder 1)" in result.stderr
    assert result.stderr.count("\n") == 1
    assert corpus_digest(str(target)) == before


def test_copy_onto_itself_is_refused(corpus, cli):
    result = cli("copy", "--to", corpus.url)
    assert result.exit_code == 1
    assert "the corpus itself" in result.stderr


def test_copy_into_a_missing_folder_is_refused(corpus, cli, tmp_path):
    result = cli("copy", "--to", tmp_path / "absent" / "x.db")
    assert result.exit_code == 1
    assert "does not exist" in result.stderr


@needs_pg
def test_sqlite_to_postgresql_to_sqlite_is_identical(corpus, tmp_path, cli):
    """The round trip keeps every row, value and id; the server copy works as a corpus."""
    # The fixture corpus lives on the suite's back end: start from a SQLite file either way.
    start = tmp_path / "départ.db"
    if corpus.url.startswith("sqlite"):
        start = corpus.url
    else:
        copy_corpus(corpus.url, str(start))
    server = pg_create_database(PG_SERVER, "qualcode_copy")
    try:
        Cli(start).ok("copy", "--to", server)
        back = tmp_path / "retour.db"
        Cli(server).ok("copy", "--to", back)
        assert corpus_digest(str(back)) == corpus_digest(server) == corpus_digest(str(start))
        # Sequences follow the copied ids: a new coding on the server gets the next id.
        Cli(server).ok("code", "apply", "guichet_01.txt:2", "débrouille", "--coder", "chloé")
        with open_db(server).session() as s:
            ids = sorted(c.id for c in s.exec(select(models.Coding)))
        assert ids == [1, 2, 3, 4]
    finally:
        pg_drop_database(PG_SERVER, server)


@needs_pg
def test_non_empty_postgresql_target_is_refused(corpus, cli):
    server = pg_create_database(PG_SERVER, "qualcode_full")
    try:
        with open_db(server).session(write=True) as s:
            s.add(models.Meta(key="projet", value="autre"))
        result = cli("copy", "--to", server)
        assert result.exit_code == 1
        assert "not empty (meta 1)" in result.stderr
        with open_db(server).session() as s:
            assert [m.value for m in s.exec(select(models.Meta))] == ["autre"]
    finally:
        pg_drop_database(PG_SERVER, server)


def test_a_verification_mismatch_is_an_error_and_keeps_no_target(corpus, tmp_path, monkeypatch):
    from qualcode import transfer
    from qualcode.errors import DatabaseError

    real = transfer.table_digest

    def tampered(conn, table):  # the target reads back one row short of the source
        found = real(conn, table)
        if table.name == "coding":
            return transfer.TableCopy(found.table, found.rows - 1, found.sha256)
        return found

    monkeypatch.setattr(transfer, "table_digest", tampered)
    target = tmp_path / "copie.db"
    with pytest.raises(DatabaseError, match="verification failed for table coding"):
        copy_corpus(corpus.url, str(target))
    assert not target.exists()
