"""Bundled material by name: the codebooks and the demo corpus that ship with qualcode are
found wherever it is installed, and a missing path that names one of them is that one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from qualcode import bundled


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder outside the source tree, with no codebooks/ in it."""
    folder = tmp_path / "terrain"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def _codes(cli) -> list[str]:
    return [row["name"] for row in cli.json("codebook", "show")]


def test_bundled_lists_what_ships(cli, elsewhere: Path) -> None:
    rows = cli.json("codebook", "bundled")
    assert [row["name"] for row in rows] == ["guichet"]
    guichet = rows[0]
    assert Path(guichet["file"]) == REPO / "codebooks" / "guichet.yaml"
    assert (guichet["title"], guichet["version"], guichet["codes"]) == ("Guichet", "1", 19)
    human = cli.ok("codebook", "bundled")
    assert human.stdout.startswith("guichet  Guichet, version 1, 19 codes")
    assert "qualcode codebook import NAME" in human.stderr


def test_import_a_bundled_codebook_by_name(cli, elsewhere: Path) -> None:
    result = cli.ok("codebook", "import", "guichet")
    assert result.stderr.splitlines()[0] == (
        f"Using the bundled codebook 'guichet': {REPO / 'codebooks' / 'guichet.yaml'}")
    assert "Codebook Guichet (version 1) imported from guichet.yaml: 19 added" in result.stderr
    assert len(_codes(cli)) == 19
    # Compared with itself: nothing differs.
    assert cli.json("codebook", "diff", "guichet")["added"] == []


def test_a_missing_path_that_names_a_bundled_codebook_is_that_codebook(cli,
                                                                      elsewhere: Path) -> None:
    result = cli.ok("codebook", "import", "codebooks/guichet.yaml")
    assert result.stderr.splitlines()[0].startswith(
        "codebooks/guichet.yaml is not a file here: using the bundled codebook 'guichet': ")
    assert len(_codes(cli)) == 19


def test_the_users_own_file_wins_over_a_bundled_name(cli, elsewhere: Path) -> None:
    (elsewhere / "guichet.yaml").write_text("name: Mon guichet\ncodes:\n  - name: attente\n",
                                            encoding="utf-8")
    result = cli.ok("codebook", "import", "guichet.yaml")
    assert "bundled" not in result.stderr
    assert _codes(cli) == ["attente"]


def test_a_missing_path_that_names_nothing_lists_the_bundled_names(cli,
                                                                   elsewhere: Path) -> None:
    cli.ok("init")
    result = cli("codebook", "import", "codebooks/terrain.yaml")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: no such file: codebooks/terrain.yaml (check the path, or name a bundled "
        "codebook instead: guichet; `qualcode codebook bundled` lists them)"]
    assert cli("codebook", "diff", "autre.qdc").stderr.startswith(
        "Error: no such file: autre.qdc (")


def test_the_demo_corpus_by_its_checkout_path_from_anywhere(cli, elsewhere: Path) -> None:
    demo = REPO / "corpora" / "demo"
    result = cli.ok("ingest", "corpora/demo")
    assert result.stderr.splitlines()[0] == (
        f"corpora/demo is not a folder here: using the bundled demo corpus: {demo}")
    assert len(cli.json("docs", "list")) == 8
    agents = cli.ok("agents", "import", "corpora/demo/agents.csv")
    assert agents.stderr.splitlines()[0] == (
        "corpora/demo/agents.csv is not a file here: using the bundled demo corpus: "
        f"{demo / 'agents.csv'}")
    assert len(cli.json("agents", "list")) == 7


def test_a_local_demo_folder_wins_and_a_missing_path_keeps_its_error(cli,
                                                                     elsewhere: Path) -> None:
    mine = elsewhere / "corpora" / "demo"
    mine.mkdir(parents=True)
    (mine / "entretien_local.txt").write_text("E : Bonjour.\n\nLéa : Bonjour.\n",
                                             encoding="utf-8")
    result = cli.ok("ingest", "corpora/demo")
    assert "bundled" not in result.stderr
    assert [d["name"] for d in cli.json("docs", "list")] == ["entretien_local.txt"]
    # A file the bundled corpus does not have, or a path outside it: today's error.
    for missing in ("corpora/demo/absent.csv", "terrain/agents.csv"):
        failed = cli("agents", "import", missing)
        assert failed.exit_code == 1 and "bundled" not in failed.stderr
        assert len(failed.stderr.splitlines()) == 1
    failed = cli("ingest", "corpora/demo/entretien_99.txt")
    assert failed.exit_code == 1
    assert failed.stderr.splitlines() == [
        "Error: corpora/demo/entretien_99.txt: no such file or folder"]


def test_nothing_bundled_found_says_where_it_looked(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    from qualcode.demo import find_demo_data
    from qualcode.errors import InvalidInput

    monkeypatch.setattr(bundled, "roots", lambda: [tmp_path])
    with pytest.raises(InvalidInput) as info:
        find_demo_data()
    assert f"were not found in {tmp_path}" in info.value.message
    with pytest.raises(InvalidInput) as info:
        bundled.resolve_codebook(Path("guichet"))
    assert info.value.hint == "check the path"


@pytest.mark.slow
@pytest.mark.sqlite_only  # the installed copy's corpus is ./qualcode.db
def test_a_non_editable_install_finds_its_material_by_name(tmp_path: Path) -> None:
    """`pip install .` (a wheel, data files under <prefix>/share/qualcode), used from a folder
    outside the source tree: `codebook import guichet` and the demo corpus are found."""
    import importlib.metadata

    version = tuple(int(p) for p in importlib.metadata.version("setuptools").split(".")[:2])
    if version < (70, 1):
        pytest.skip("building a wheel offline needs setuptools>=70.1 (pip install -e '.[test]')")
    source = tmp_path / "src"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".ci-venv", "build", "dist", "*.egg-info", "__pycache__", ".*cache",
        ".hypothesis", "qualcode-demo", "qualcode.db*"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "-w", str(tmp_path / "dist"), str(source)], check=True,
                   capture_output=True)
    prefix = tmp_path / "prefix"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
    python = prefix / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_path('purelib'))"], check=True,
                             capture_output=True, text=True).stdout.strip()
    # The dependencies come from this environment; qualcode itself only from the wheel
    # (a path added by a .pth file does not run that folder's own .pth files).
    import sysconfig

    Path(purelib, "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    [wheel] = (tmp_path / "dist").glob("qualcode-*.whl")
    subprocess.run([*pip, "--python", str(python), "install", "--no-deps", "--no-index",
                    str(wheel)], check=True, capture_output=True)

    work = tmp_path / "terrain"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("QUALCODE_DB", "PYTHONPATH")}
    share = prefix / "share" / "qualcode"

    def qualcode(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(prefix / "bin" / "qualcode"), *args], cwd=work, env=env,
                              capture_output=True, text=True)

    where = subprocess.run([str(python), "-c", "import qualcode, qualcode.demo as d; "
                            "print(qualcode.__file__); print(*d.find_demo_data(), sep='\\n')"],
                           cwd=work, env=env, capture_output=True, text=True, check=True)
    package, corpus, codebook = where.stdout.split()
    assert Path(package).is_relative_to(purelib)
    assert (Path(corpus), Path(codebook)) == (share / "corpora" / "demo",
                                              share / "codebooks" / "guichet.yaml")
    listed = qualcode("codebook", "bundled", "--json")
    assert json.loads(listed.stdout)[0]["file"] == str(share / "codebooks" / "guichet.yaml")
    imported = qualcode("codebook", "import", "guichet")
    assert imported.returncode == 0, imported.stderr
    assert imported.stderr.startswith("Using the bundled codebook 'guichet': " + str(share))
    assert (work / "qualcode.db").is_file()
    # The README's session, typed outside a checkout: the installed demo corpus.
    ingested = qualcode("ingest", "corpora/demo")
    assert ingested.returncode == 0, ingested.stderr
    assert ingested.stderr.startswith(
        f"corpora/demo is not a folder here: using the bundled demo corpus: {share}")
    agents = qualcode("agents", "import", "corpora/demo/agents.csv")
    assert agents.returncode == 0, agents.stderr
    assert str(share / "corpora" / "demo" / "agents.csv") in agents.stderr.splitlines()[0]
    assert len(json.loads(qualcode("agents", "list", "--json").stdout)) == 7
