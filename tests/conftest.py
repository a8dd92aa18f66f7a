"""Shared fixtures: a file database per test, a CLI runner bound to it, document builders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qualcode.cli.main import app
from qualcode.corpus.documents import SegmentIn, add_document
from qualcode.db import Database, open_db

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "corpora" / "demo"
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUALCODE_DB", raising=False)
    monkeypatch.delenv("QUALCODE_DEBUG", raising=False)
    monkeypatch.setenv("QUALCODE_CODER", "testeur")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "corpus.db"


@pytest.fixture
def db(db_path: Path) -> Database:
    return open_db(str(db_path))


class Cli:
    """Runs `qualcode --db <test db> ARGS` in-process and returns the result."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None):
        return self.runner.invoke(app, ["--db", str(self.db_path), *map(str, args)],
                                  input=input, env=env)

    def ok(self, *args: str, input: str | None = None):
        result = self(*args, input=input)
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return result

    def json(self, *args: str):
        import json

        return json.loads(self.ok(*args, "--json").stdout)


@pytest.fixture
def cli(db_path: Path) -> Cli:
    return Cli(db_path)


@pytest.fixture
def make_doc(db: Database) -> Callable[..., int]:
    """Add a document from `(speaker_or_None, text)` turns joined by blank lines; returns its id.

    `E` and `Enquêtrice` are interviewer turns; a turn's segment excludes its `Speaker : ` label.
    """

    def _make(name: str, turns: list[tuple[str | None, str]], kind: str = "interview",
              agents: tuple[str, ...] = ()) -> int:
        parts, segments, pos = [], [], 0
        for speaker, body in turns:
            if parts:
                pos += 2
            label = f"{speaker} : " if speaker else ""
            chunk = label + body
            # Like the ingest readers: a turn's segment is its speech, without the label.
            segments.append(SegmentIn(pos + len(label), pos + len(chunk), speaker,
                                      speaker in ("E", "Enquêtrice")))
            parts.append(chunk)
            pos += len(chunk)
        with db.session(write=True) as s:
            doc = add_document(s, name=name, text="\n\n".join(parts), segments=segments,
                               kind=kind, agents=agents)
            return doc.id

    return _make
