"""The database layer on both back ends: writers queue, readers do not, values round-trip.

Tests that need a PostgreSQL server run when `QUALCODE_TEST_PG` names one (see conftest.py);
the others run on whichever back end the suite uses.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from conftest import PG_SERVER, pg_create_database, pg_database_url, pg_drop_database
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from qualcode import db as dbmod
from qualcode import models
from qualcode.cli.main import app
from qualcode.errors import DatabaseError

needs_pg = pytest.mark.skipif(not PG_SERVER, reason="needs a server: set QUALCODE_TEST_PG")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_is_one_line_naming_host_and_port_without_password():
    pytest.importorskip("psycopg")
    port = _closed_port()
    with pytest.raises(DatabaseError) as err:
        dbmod.open_db(f"postgresql+psycopg://anne:m0tdepasse@127.0.0.1:{port}/corpus")
    message = str(err.value)
    assert f"127.0.0.1:{port}" in message
    assert "m0tdepasse" not in message
    assert "\n" not in message


def test_cli_reports_an_unreachable_server_on_one_line(cli):
    pytest.importorskip("psycopg")
    port = _closed_port()
    url = f"postgresql+psycopg://anne:m0tdepasse@127.0.0.1:{port}/corpus"
    result = cli.runner.invoke(app, ["--db", url, "docs", "list"])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: cannot open the corpus database corpus")
    assert "m0tdepasse" not in result.stderr


def test_display_url_hides_the_password():
    shown = dbmod.display_url("postgresql+psycopg://anne:m0tdepasse@serveur:5433/labo")
    assert "m0tdepasse" not in shown
    assert "anne" in shown and "serveur:5433/labo" in shown


def test_values_round_trip(db):
    """Aware datetimes come back in UTC, JSON and bytes unchanged, booleans as booleans."""
    paris = timezone(timedelta(hours=2))
    when = datetime(2024, 6, 3, 14, 30, 5, 123456, tzinfo=paris)
    with db.session(write=True) as s:
        s.add(models.AuditEntry(at=when, action="essai", undone=True,
                                payload={"clé": ["é", 1, None, {"ü": 2.5}]}))
        s.add(models.AnalysisCache(text_hash="h", model="fr", data=b"\x00\xff\x10"))
    with db.session() as s:
        entry = s.get(models.AuditEntry, 1)
        assert entry.at == when and entry.at.utcoffset() == timedelta(0)
        assert entry.at.hour == 12 and entry.at.tzinfo is not None
        assert entry.payload == {"clé": ["é", 1, None, {"ü": 2.5}]}
        assert entry.undone is True
        assert s.get(models.AnalysisCache, ("h", "fr")).data == b"\x00\xff\x10"


def test_unique_constraints_hold(db):
    with db.session(write=True) as s:
        s.add(models.Coder(name="anne"))
    with pytest.raises(IntegrityError), db.session(write=True) as s:
        s.add(models.Coder(name="anne"))
    with db.session() as s:
        assert len(s.exec(select(models.Coder)).all()) == 1


def test_writers_queue_and_readers_do_not_wait(db):
    """A second writer waits for the first and then sees its row; a reader never waits."""
    holding = threading.Event()
    events: list[str] = []

    def first_writer() -> None:
        with db.session(write=True) as s:
            s.add(models.Coder(name="premier"))
            s.flush()
            holding.set()
            time.sleep(0.8)
            events.append("first commits")

    thread = threading.Thread(target=first_writer)
    thread.start()
    assert holding.wait(10)
    started = time.monotonic()
    with db.session() as s:
        s.execute(text("SELECT 1"))
        # MVCC / WAL: the reader does not see the uncommitted row and does not block.
        assert s.exec(select(models.Coder)).all() == []
    assert time.monotonic() - started < 0.5
    with db.session(write=True) as s:
        s.execute(text("SELECT 1"))  # the lock is taken by the transaction's first statement
        events.append("second writes")
        names = [c.name for c in s.exec(select(models.Coder))]
    thread.join(10)
    assert events == ["first commits", "second writes"]
    assert names == ["premier"]


@needs_pg
def test_pg_writer_waiting_too_long_gets_a_clear_error(db, monkeypatch):
    monkeypatch.setattr(dbmod, "BUSY_TIMEOUT_S", 1)
    holding, release = threading.Event(), threading.Event()

    def holder() -> None:
        with db.session(write=True) as s:
            s.execute(text("SELECT 1"))
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert holding.wait(10)
        with pytest.raises(DatabaseError, match="stayed locked"), db.session(write=True) as s:
            s.execute(text("SELECT 1"))
    finally:
        release.set()
        thread.join(10)


@needs_pg
def test_pg_schema_types(db):
    with db.engine.connect() as conn:
        types = dict(conn.execute(text(
            "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public'")).all())
    assert types["analysis_cache.data"] == "bytea"
    assert types["segment.is_interviewer"] == "boolean"
    assert types["code.examples"] == "json"
    assert types["coding.created_at"] == "timestamp with time zone"


@needs_pg
def test_pg_missing_database_is_a_clear_error():
    url = pg_database_url(PG_SERVER, "qualcode_absent_base")
    with pytest.raises(DatabaseError, match="qualcode_absent_base"):
        dbmod.open_db(url)


@needs_pg
def test_pg_two_processes_creating_the_schema_at_once_both_succeed():
    url = pg_create_database(PG_SERVER, "qualcode_race")
    try:
        script = "import sys; from qualcode.db import open_db; open_db(sys.argv[1])"
        procs = [subprocess.Popen([sys.executable, "-c", script, url],
                                  stderr=subprocess.PIPE, text=True) for _ in range(3)]
        errors = [p.communicate(timeout=60)[1] for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0], errors
        assert dbmod.open_db(url).current_revision() == dbmod.SCHEMA_REVISION
    finally:
        pg_drop_database(PG_SERVER, url)



@needs_pg
def test_pg_nul_character_is_a_clear_error_and_saves_nothing(db):
    with pytest.raises(DatabaseError, match="NUL character"), db.session(write=True) as s:
        s.add(models.Coder(name="anne"))
        s.add(models.Memo(target_type="project", text="avant\x00après"))
    with db.session() as s:
        assert s.exec(select(models.Coder)).all() == []
