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
