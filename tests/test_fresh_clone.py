"""A fresh clone works as the README says: its first commands, its terminal session run by the
installed `qualcode` in a folder of the user's own files, and the REFI-QDA tests in a clone that
has no ../shared beside it."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import PG_SERVER, REPO

README = REPO / "README.md"
TEST_COMMAND = "pip install -e '.[test,postgres]' && pytest"


def code_blocks(text: str) -> list[str]:
    return re.findall(r"^```bash\n(.*?)^```", text, flags=re.S | re.M)


def commands(block: str) -> list[list[str]]:
    """Each command of a shell block: comments dropped, `a && b` as two commands."""
    out: list[list[str]] = []
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        while words:
            cut = words.index("&&") if "&&" in words else len(words)
            out.append(words[:cut])
            words = words[cut + 1:]
    return out


def session_block() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## A session at the terminal"):]
    section = section[:section.index("\n## ", 1)]
    [block] = code_blocks(section)
    return block


def test_the_readme_starts_with_the_two_commands_and_ci_runs_the_second() -> None:
    text = README.read_text(encoding="utf-8")
    first = code_blocks(text)[0]
    assert text.index("```bash") < text.index("\n\n", len("# qualcode\n"))  # nothing before
    assert commands(first) == [["pip", "install", "."], ["qualcode", "demo"],
                               ["pip", "install", "-e", ".[test,postgres]"], ["pytest"]]
    assert text.count(TEST_COMMAND) == 1
    assert TEST_COMMAND in (REPO / ".ci" / "run").read_text(encoding="utf-8")
    setup = commands(code_blocks(text)[1])
    assert setup[0][:2] == ["git", "clone"] and ["python3", "-m", "venv", ".venv"] in setup
    assert "Python 3.11 or newer" in text


# The user's own files, as the session names them.
INES = """\
Enquêtrice : Depuis combien de temps travaillez-vous au guichet ?

Inès : Douze ans. Avant, on accompagnait les gens dans leurs démarches ; maintenant on les \
renvoie vers l'écran. J'ai l'impression de ne plus servir à rien, de perdre le sens de mon métier.

Enquêtrice : Et avec les usagers, comment ça se passe ?

Inès : Certains nous crient dessus, comme si c'était notre faute. On est devenus les boucs \
émissaires de toutes les réformes.
"""
MARC = """\
Enquêteur : Qu'est-ce qui a changé dans votre travail ?

Marc : Tout est chronométré. On doit traiter un dossier en huit minutes, sinon le chef nous le \
reproche. Moi, je prends le temps quand même, et tant pis pour les tableaux de bord.

Enquêteur : Et vos collègues ?

Marc : On s'organise entre nous pour couvrir ceux qui prennent plus de temps avec les \
personnes âgées.
"""
NOTES = """\
Lundi matin, agence du centre. La file d'attente déborde sur le trottoir avant l'ouverture.

Un usager s'énerve contre l'agente : « vous ne servez à rien ». Elle garde son calme et lui \
explique la démarche en ligne.
"""


def users_folder(folder: Path) -> None:
    (folder / "entretiens").mkdir()
    (folder / "notes").mkdir()
    (folder / "entretiens" / "entretien_ines.txt").write_text(INES, encoding="utf-8")
    (folder / "entretiens" / "entretien_marc.txt").write_text(MARC, encoding="utf-8")
    (folder / "notes" / "notes_accueil.md").write_text(NOTES, encoding="utf-8")
    (folder / "participants.csv").write_text(
        "name,profil,age,centre\nInès,pragmatique,45,Nord\nMarc,militant,52,Gare\n",
        encoding="utf-8")
    (folder / "codages_bruno.csv").write_text(
        "document,segment,code,coder\nentretien_ines.txt,2,perte de sens,bruno\n"
        "entretien_ines.txt,4,discrédit,bruno\nentretien_marc.txt,2,stratégies,bruno\n",
        encoding="utf-8")


@pytest.mark.slow
@pytest.mark.sqlite_only  # the session's corpus is ./qualcode.db
def test_the_readme_session_runs_with_the_installed_qualcode(tmp_path: Path) -> None:
    block = session_block()
    for demo_name in ("corpora/demo", "codebooks/", "entretien_01_helene"):
        assert demo_name not in block, "the session uses the user's own files"
    exe = Path(sysconfig.get_path("scripts")) / "qualcode"
    if not exe.exists():
        pytest.skip(f"no qualcode entry point in this environment ({exe}): pip install -e .")
    folder = tmp_path / "terrain"
    folder.mkdir()
    users_folder(folder)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("QUALCODE_") and k != "PYTHONPATH"}
    env["QUALCODE_CODER"] = "ana"
    ran = []
    for words in commands(block):
        assert words[0] == "qualcode", words
        # Interactive commands read "q" (quit) at the end of their input.
        result = subprocess.run([str(exe), *words[1:]], cwd=folder, env=env, text=True,
                                stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
        assert result.returncode == 0, (words, result.stderr)
        assert "Error" not in result.stderr, (words, result.stderr)
        ran.append((words, result))
    assert len(ran) >= 12
    outputs = {" ".join(words[:2]): r.stdout + r.stderr for words, r in ran}
    imported = next(r for words, r in ran if words[1:3] == ["codebook", "import"])
    assert "Using the bundled codebook 'guichet'" in imported.stdout + imported.stderr
    assert "Certains nous crient dessus" in outputs["qualcode segments"]
    assert "perte de sens" in outputs["qualcode agreement"]
    for name in ("qualcode.db", "cooc.xlsx", "projet.qdpx", "heatmap_pragmatique.png"):
        assert (folder / name).is_file(), name


@pytest.mark.slow
@pytest.mark.skipif(bool(PG_SERVER), reason="the clone's REFI tests run once, on SQLite")
def test_refi_tests_in_a_fresh_clone_without_shared(tmp_path: Path) -> None:
    """A clone of this repository's committed state, nothing beside it: the REFI tests pass
    or are skipped with the reason, none errors."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs git and a git checkout of qualcode")
    clone = tmp_path / "qualcode"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True,
                   capture_output=True)
    assert not (tmp_path / "shared").exists()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("QUALCODE_") and k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(clone)
    where = subprocess.run([sys.executable, "-c", "import qualcode; print(qualcode.__file__)"],
                           cwd=clone, env=env, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(clone)
    tests = sorted(str(p.relative_to(clone)) for p in (clone / "tests").glob("test_refi_*.py"))
    assert len(tests) >= 8
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *tests],
                            cwd=clone, env=env, capture_output=True, text=True, timeout=900)
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "error" not in summary and "failed" not in summary, summary
    assert re.search(r"\d+ passed", summary) and re.search(r"\d+ skipped", summary), summary
    skips = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skips and all("needs ../shared/refi-qda/" in line for line in skips), skips
