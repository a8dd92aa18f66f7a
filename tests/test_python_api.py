"""`import qualcode`: a small lazy API, and docs/python-api.md whose snippets really run."""

from __future__ import annotations

import contextlib
import io
import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import qualcode

DOC = Path(__file__).resolve().parent.parent / "docs" / "python-api.md"


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_import_qualcode_loads_nothing_heavy_until_a_name_is_used():
    heavy = {"sqlalchemy", "sqlmodel", "numpy", "spacy", "rich", "typer", "yaml"}
    assert not _loaded_after("import qualcode") & heavy
    # the errors and the JSON shapes are light; opening a corpus is not
    assert not _loaded_after("import qualcode\nqualcode.InvalidInput\nqualcode.CodesApplied") \
        & heavy
    loaded = _loaded_after("import qualcode\nqualcode.cooccurrence_report")
    assert {"sqlalchemy", "numpy"} <= loaded
    assert "spacy" not in loaded


def test_every_public_name_resolves_and_is_listed():
    assert set(qualcode.__all__) == set(qualcode._EXPORTS) | {"__version__"}
    for name in qualcode.__all__:
        assert getattr(qualcode, name) is not None, name
    assert issubclass(qualcode.NotFound, qualcode.QualcodeError)
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        qualcode.nothing_here  # noqa: B018
    # a public name equal to a subpackage would be replaced when the subpackage is imported
    subpackages = {m.name for m in pkgutil.iter_modules(qualcode.__path__)}
    assert not set(qualcode._EXPORTS) & subpackages


def test_the_public_open_db_is_the_one_that_backs_up():
    from qualcode.api import open_db

    assert qualcode.open_db is open_db


def _snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def _expected_output(snippet: str) -> list[str]:
    """A snippet's whole-line comments are what it prints."""
    return [line[2:] for line in snippet.splitlines() if line.startswith("# ")]


def test_the_python_api_doc_snippets_run_and_print_what_they_say(tmp_path, monkeypatch):
    snippets = _snippets()
    assert len(snippets) >= 6
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "python_api_doc"}
    for n, snippet in enumerate(snippets, 1):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(snippet, f"{DOC.name} snippet {n}", "exec"), namespace)
        assert out.getvalue().splitlines() == _expected_output(snippet), f"snippet {n}"


def _keys(shape: type) -> tuple[frozenset, frozenset]:
    return shape.__required_keys__, shape.__optional_keys__


def _fits(data: dict, shape: type) -> bool:
    required, optional = _keys(shape)
    return required <= data.keys() <= required | optional


def test_the_typed_shapes_are_what_the_commands_print(cli, tmp_path):
    """The TypedDicts of qualcode.results describe the --json output of their commands."""
    interview = tmp_path / "entretien_chloe.txt"
    interview.write_text("Enquêtrice : Vous tenez combien de temps par usager ?\n\n"
                         "Chloé : Six minutes, c’est le chiffre qu’on nous donne.\n",
                         encoding="utf-8")
    (tmp_path / "agents.csv").write_text("name;profil\nChloé;pragmatique\n", encoding="utf-8")
    (tmp_path / "book.yaml").write_text("name: Test\ncodes:\n  - name: culture du chiffre\n"
                                        "  - name: discrédit\n", encoding="utf-8")
    ingested = cli.json("ingest", interview)
    assert all(_fits(f, qualcode.IngestedFile) for f in ingested)
    assert ingested[0]["status"] == "added"
    agents = cli.json("agents", "import", tmp_path / "agents.csv")
    assert _fits(agents, qualcode.AgentsImported)
    cli.ok("codebook", "import", tmp_path / "book.yaml")
    applied = cli.json("code", "apply", "entretien_chloe.txt:2", "culture du chiffre")
    assert _fits(applied, qualcode.CodesApplied)
    cooc = cli.json("cooccurrence", "--by", "profil")
    assert _fits(cooc, qualcode.Cooccurrence)
    assert all(_fits(t, qualcode.CooccurrenceTable) for t in cooc["tables"])
    assert cooc["tables"][1]["group"] == "pragmatique"
