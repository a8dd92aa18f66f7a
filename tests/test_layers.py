"""The layers hold: readers and codebook files need no database, core modules no terminal."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _loaded_after(*modules: str) -> set[str]:
    """Top-level packages and qualcode modules in sys.modules after importing ``modules``
    in a fresh interpreter."""
    code = ("import json, sys\n" + "".join(f"import {m}\n" for m in modules)
            + "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return set(json.loads(out))


@pytest.mark.parametrize("reader", ["qualcode.ingest.plain", "qualcode.ingest.registry"])
def test_readers_load_no_database_layer(reader):
    loaded = _loaded_after(reader)
    assert not loaded & {"sqlalchemy", "sqlmodel", "qualcode.models", "qualcode.db",
                         "qualcode.corpus"}


def test_codebook_files_load_neither_sqlalchemy_nor_rich():
    loaded = _loaded_after("qualcode.codebook.yaml_io", "qualcode.codebook.qdc",
                           "qualcode.codebook.diff")
    assert not loaded & {"sqlalchemy", "sqlmodel", "rich"}


def test_the_import_contracts_hold():
    """The layer rules of pyproject.toml's [tool.importlinter], as `lint-imports` checks them
    in .ci/run: run here too, so the README's test command covers them."""
    pytest.importorskip("importlinter", reason="import-linter is in the `test` extra: "
                        "pip install -e '.[test]'")
    from pathlib import Path

    code = ("import sys\nfrom importlinter.cli import lint_imports\n"
            "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, "
            "no_logo=True))")
    repo = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout
