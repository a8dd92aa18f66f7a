"""Shell completion (bash, zsh, fish through Typer): command names, and the document names,
code names, attribute keys and coders of the current corpus; nothing without a corpus."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from qualcode.cli.main import COMPLETED, app


@pytest.fixture
def corpus(cli, make_doc, tmp_path: Path) -> Path | str:
    """A corpus with documents, codes, agents with attributes and a coder; its path or URL."""
    make_doc("entretien_01.txt", [("E", "Bonjour."), ("Hélène", "Bonjour.")])
    make_doc("Entretien_02.txt", [("E", "Bonjour."), ("Karim", "Salut.")])
    make_doc("notes_gare.md", [(None, "La file déborde.")], kind="observation")
    cli.ok("codebook", "add", "perte de sens")
    cli.ok("codebook", "add", "discrédit")
    cli.ok("codebook", "add", "délai")
    agents = tmp_path / "agents.csv"
    agents.write_text("name,profil,centre\nHélène,pragmatique,Nord\nKarim,militant,Gare\n",
                      encoding="utf-8")
    cli.ok("agents", "import", agents)
    cli.ok("code", "apply", "entretien_01.txt:2", "délai", "--coder", "ana")
    return cli.db_path


def bash(line: str) -> list[str]:
    """What bash offers for ``line`` (the word under the cursor is the last one)."""
    words = line.split(" ")
    result = CliRunner().invoke(app, [], env={
        "_QUALCODE_COMPLETE": "complete_bash", "COMP_WORDS": line,
        "COMP_CWORD": str(len(words) - 1)})
    assert result.exit_code == 0, result.output
    return [line for line in result.stdout.splitlines() if line]


def zsh(line: str) -> str:
    result = CliRunner().invoke(app, [], env={"_QUALCODE_COMPLETE": "complete_zsh",
                                              "_TYPER_COMPLETE_ARGS": line})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_command_names_need_no_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert sorted(bash("qualcode co")) == ["code", "codebook", "cooccurrence", "copy"]
    assert sorted(bash("qualcode codebook i")) == ["import"]
    assert list(tmp_path.iterdir()) == []  # no ./qualcode.db was created


def test_document_names(corpus) -> None:
    assert bash(f"qualcode --db {corpus} docs show ") == [
        "Entretien_02.txt", "entretien_01.txt", "notes_gare.md"]
    # case does not matter; --db may come after the command
    assert bash(f"qualcode docs show --db {corpus} entr") == ["Entretien_02.txt",
                                                               "entretien_01.txt"]
    assert bash(f"qualcode --db {corpus} segments --doc no") == ["notes_gare.md"]
    assert bash(f"qualcode --db {corpus} code apply ent") == ["Entretien_02.txt:",
                                                              "entretien_01.txt:"]


def test_code_names_quoted_for_bash_and_accents_aside(corpus) -> None:
    assert bash(f"qualcode --db {corpus} segments --code per") == ["'perte de sens'"]
    assert bash(f"qualcode --db {corpus} codebook delete d") == ["discrédit", "délai"]
    assert bash(f"qualcode --db {corpus} codebook delete discre") == ["discrédit"]
    assert bash(f"qualcode --db {corpus} code apply entretien_01.txt:2 ") == [
        "discrédit", "délai", "'perte de sens'"]
    assert "perte de sens" in zsh(f"qualcode --db {corpus} segments --code per")
    assert "'perte de sens'" not in zsh(f"qualcode --db {corpus} segments --code per")


def test_attribute_keys_values_and_coders(corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUALCODE_DB", str(corpus))  # the corpus of the environment
    assert bash("qualcode cooccurrence --by ") == ["centre", "profil"]
    assert bash("qualcode crosstab --by p") == ["profil"]
    assert bash("qualcode segments --where ") == ["centre=", "profil="]
    # after KEY= (zsh and fish pass the word whole; bash splits it at =)
    out = zsh("qualcode segments --where profil=")
    assert "profil=militant" in out and "profil=pragmatique" in out and "Nord" not in out
    assert bash("qualcode segments --coder a") == ["ana"]


def test_no_corpus_no_completions_and_nothing_created(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "absent.db"
    assert bash(f"qualcode --db {missing} docs show ") == []
    assert bash("qualcode segments --code ") == []
    (tmp_path / "pas_un_corpus.db").write_text("ceci n’est pas une base")
    assert bash(f"qualcode --db {tmp_path / 'pas_un_corpus.db'} docs show ") == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pas_un_corpus.db"]


def test_every_completed_parameter_exists() -> None:
    """The table names real parameters: renaming one must not silently drop its completion."""
    root = typer.main.get_command(app)
    params: dict[str, set[str]] = {}

    def walk(group, path=()):
        for name, command in group.commands.items():
            params[" ".join((*path, name))] = {p.name for p in command.params}
            if hasattr(command, "commands"):
                walk(command, (*path, name))

    walk(root)
    for (command, param), _what in COMPLETED.items():
        if command == "*":
            assert any(param in names for names in params.values()), param
        else:
            assert param in params.get(command, set()), (command, param)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_show_and_install_completion(shell: str, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")  # name the shell
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SHELL", f"/bin/{shell}")
    runner = CliRunner()
    shown = runner.invoke(app, ["--show-completion", shell])
    assert shown.exit_code == 0
    assert f"_QUALCODE_COMPLETE=complete_{shell}" in shown.stdout
    installed = runner.invoke(app, ["--install-completion", shell])
    assert installed.exit_code == 0 and f"{shell} completion installed in" in installed.stdout
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any("_QUALCODE_COMPLETE" in p.read_text() for p in written)


@pytest.mark.sqlite_only  # a server is reached through SQLAlchemy
def test_completion_imports_nothing_heavy(corpus, tmp_path: Path) -> None:
    """The real entry point, as the shell runs it: no spaCy, SQLAlchemy, numpy..."""
    probe = (
        "import json, os, runpy, sys\n"
        "sys.argv = ['qualcode']\n"
        "try:\n    runpy.run_module('qualcode', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = ('spacy', 'thinc', 'sqlalchemy', 'numpy', 'pandas', 'matplotlib')\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))\n")
    env = {"_QUALCODE_COMPLETE": "complete_bash", "COMP_CWORD": "3",
           "COMP_WORDS": "qualcode docs show entr", "QUALCODE_DB": str(corpus),
           "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[:2] == ["Entretien_02.txt", "entretien_01.txt"]
    assert json.loads(out[-1]) == []


def test_the_interactive_coding_command_completes_document_names(corpus) -> None:
    """`qualcode code DOC` has no subcommand word: its first word offers the subcommands
    and the documents."""
    assert bash(f"qualcode --db {corpus} code entr") == ["Entretien_02.txt",
                                                         "entretien_01.txt"]
    assert bash(f"qualcode --db {corpus} code ") == [
        "apply", "remove", "import", "export", "Entretien_02.txt", "entretien_01.txt",
        "notes_gare.md"]
    assert bash(f"qualcode --db {corpus} code ap") == ["apply"]
    assert bash(f"qualcode --db {corpus} code entretien_01.txt --coder a") == ["ana"]


def test_memo_targets(corpus) -> None:
    assert bash(f"qualcode --db {corpus} memo add ") == [
        "project", "code:", "doc:", "segment:", "agent:"]
    out = zsh(f"qualcode --db {corpus} memo add doc:no")
    assert "notes_gare.md" in out and "entretien" not in out
    out = zsh(f"qualcode --db {corpus} memo list segment:entretien_")
    assert "segment\\\\:entretien_01.txt\\\\:" in out and "notes" not in out
