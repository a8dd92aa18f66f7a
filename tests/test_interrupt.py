"""Ctrl-C in a command: one line on stderr saying what was saved, exit code 130."""

from __future__ import annotations

from pathlib import Path

import pytest

E = "entretien_01.txt"


def interrupt(*_args, **_kwargs):
    raise KeyboardInterrupt


def test_ingest_keeps_the_files_before(cli, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import qualcode.corpus.ingest as service

    real = service.ingest_paths

    def first_file_then_ctrl_c(db, paths, **kwargs):
        kwargs.pop("batch")
        real(db, paths[:1], **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(service, "ingest_paths", first_file_then_ctrl_c)
    files = []
    for name in ("entretien_01.txt", "entretien_02.txt"):
        files.append(tmp_path / name)
        files[-1].write_text("Enquêtrice : Bonjour.\n\nHélène : Bonjour.\n", encoding="utf-8")
    result = cli(*map(str, ["ingest", *files]))
    assert result.exit_code == 130
    assert result.stderr.splitlines() == [
        "Interrupted: the files ingested before it are saved (one transaction per file), the "
        "one being read is not; run the same command again to finish (files already in are "
        "skipped as unchanged)"]
    assert [d["name"] for d in cli.json("docs", "list")] == ["entretien_01.txt"]


def test_an_import_says_nothing_was_imported(cli, make_doc, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import qualcode.coding.csvio as csvio

    make_doc(E, [("E", "Bonjour."), ("Hélène", "Bonjour.")])
    monkeypatch.setattr(csvio, "import_codings_csv", interrupt)
    codings = tmp_path / "codages.csv"
    codings.write_text(f"document,segment,code\n{E},2,attente\n", encoding="utf-8")
    result = cli("code", "import", codings)
    assert result.exit_code == 130
    assert result.stderr.splitlines() == [
        "Interrupted: nothing was imported; the corpus is as it was before the command"]


def test_suggest_says_what_was_stored(cli, make_doc,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import qualcode.suggest.service as service

    make_doc(E, [("E", "Bonjour."), ("Hélène", "Bonjour.")])
    monkeypatch.setattr(service, "suggest", interrupt)
    result = cli("suggest")
    assert result.exit_code == 130
    assert result.stderr.splitlines() == [
        "Interrupted: the analyses and suggestions of the chunks already done were stored, no "
        "coding ever; run `qualcode suggest` again to finish"]


def test_the_interactive_session_keeps_its_decisions(cli, make_doc,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import qualcode.cli.keys as keys

    make_doc(E, [("Hélène", "Le guichet déborde."), ("Hélène", "On attend.")])
    cli.ok("codebook", "add", "attente")
    answers = iter(["1", "n"])

    def read_key(_prompt: str = "") -> str:
        answer = next(answers, None)
        if answer is None:
            raise KeyboardInterrupt
        return answer

    monkeypatch.setattr(keys, "read_key", read_key)
    result = cli("code", E)
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == (
        "Interrupted: every decision made before it is saved")
    assert [r["segment"] for r in cli.json("segments", "--code", "attente")] == [1]
