"""Acceptance: the Contract of DESIGN.md driven through the CLI, as a sociologist would use it.

The corpus is written as files in tmp_path (French, accents in file, agent and code names,
typographic apostrophes, a no-break space before a speaker's colon, Windows-1252 and UTF-16
files, docx, odt, vtt) and goes through `ingest`, `agents import` and `codebook import`.
Expected tables are counted by hand in the comments.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qualcode.cli.main import app

NBSP = "\u00a0"

HELENE = f"""Enquêtrice : Depuis quand êtes-vous à l’accueil de la caisse ?

Hélène : Depuis dix-neuf ans. Avant je montais les dossiers de bout en bout, aujourd’hui je \
scanne des pièces et je les envoie ailleurs.

Enquêtrice{NBSP}: Vous en parlez avec les collègues ?

Hélène : Un peu. Les assurés croient qu’on leur cache leurs droits, ils demandent à voir \
l’écran, et moi je n’ai plus la main sur rien.
"""

JOELLE = """Enquêtrice : Comment tenez-vous pendant les pics d’affluence ?

Joëlle Lefèvre-Nguyen : On se relaie. Quand une file déborde, une collègue vient m’épauler \
sans qu’on le lui demande ; les usagers, eux, soupçonnent qu’on traîne exprès.

Enquêtrice : Et la hiérarchie ?

Joëlle Lefèvre-Nguyen : Elle ne voit que les chiffres. Entre nous, on se prête des astuces \
pour les dossiers compliqués.
"""

OBSERVATION = """---
kind: observation
agents: [Hélène, "Joëlle Lefèvre-Nguyen"]
---
Mardi, neuf heures : la salle d’attente est pleine. Un homme refuse de prendre un ticket, il \
accuse l’agent de lui mentir ; Joëlle vient aider Hélène à lui expliquer la procédure.

Vers onze heures, la file se vide. Les deux agentes rangent les formulaires en silence.
"""

AGENTS = "nom;profil;ancienneté\nHélène;pragmatique;19\nJoëlle Lefèvre-Nguyen;social;8\n"

CODEBOOK = """name: Accueil
version: "2"
codes:
  - name: méfiance d’usager
    colour: "#AA3300"
    description: L’usager soupçonne l’agent ou l’institution de lui nuire.
    keywords: [méfiance, soupçonner]
    examples: ["Ils croient qu’on leur cache quelque chose."]
    children:
      - name: soupçon de dissimulation
        description: L’usager croit qu’on lui cache une information ou un droit.
  - name: déqualification
    description: L’agent perd des tâches qualifiées ou la reconnaissance de son savoir.
  - name: entraide
    description: Les agents s’aident entre eux pour tenir.
"""

HELENE_DOC = "entretien_Hélène_été.txt"
JOELLE_DOC = "entretien_Joëlle.txt"
OBS_DOC = "observation_guichet.md"
M, S, D, E = "méfiance d’usager", "soupçon de dissimulation", "déqualification", "entraide"

# Codings: (segment, code, coder). Segments 1 and 3 of the interviews are interviewer turns.
CODINGS = [
    (f"{HELENE_DOC}:2", D, "ana"), (f"{HELENE_DOC}:3", E, "ana"),
    (f"{HELENE_DOC}:4", S, "ana"), (f"{HELENE_DOC}:4", D, "ana"),
    (f"{JOELLE_DOC}:2", E, "ana"), (f"{JOELLE_DOC}:2", M, "ana"),
    (f"{JOELLE_DOC}:4", E, "ana"),
    (f"{OBS_DOC}:1", M, "ana"), (f"{OBS_DOC}:1", E, "ana"),
    (f"{HELENE_DOC}:2", D, "bruno"), (f"{HELENE_DOC}:4", M, "bruno"),
    (f"{JOELLE_DOC}:2", E, "bruno"),
]


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / HELENE_DOC).write_text(HELENE, encoding="utf-8")
    (folder / JOELLE_DOC).write_bytes(JOELLE.encode("cp1252"))  # a Windows transcript
    (folder / OBS_DOC).write_text(OBSERVATION, encoding="utf-8")
    return folder


@pytest.fixture
def project(cli, tmp_path):
    """The small corpus ingested, with agents, codebook and the codings above."""
    corpus = write_corpus(tmp_path / "terrain")
    (tmp_path / "agents.csv").write_text(AGENTS, encoding="utf-8")
    (tmp_path / "accueil.yaml").write_text(CODEBOOK, encoding="utf-8")
    cli.ok("init")
    cli.ok("agents", "import", tmp_path / "agents.csv")
    cli.ok("ingest", corpus)
    cli.ok("codebook", "import", tmp_path / "accueil.yaml")
    for ref, code, coder in CODINGS:
        cli.ok("code", "apply", ref, code, "--coder", coder)
    return tmp_path


def state(cli) -> str:
    """Everything a user can see of the corpus, to prove a failed command changed nothing."""
    parts = [cli.ok(*args, "--json").stdout for args in (
        ("docs", "list"), ("agents", "list"), ("codebook", "show"), ("segments",), ("history",))]
    return "\n".join(parts)


def assert_one_line_error(result, *words: str, code: int = 1) -> None:
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    for word in words:
        assert word in lines[0], lines[0]


# --- ingest, agents, documents -------------------------------------------------------------


def test_ingest_json_reports_each_file_and_is_idempotent(cli, tmp_path):
    corpus = write_corpus(tmp_path / "terrain")
    first = cli.json("ingest", corpus)
    assert first == [
        {"document": HELENE_DOC, "status": "added", "segments": 4, "encoding": "utf-8"},
        {"document": JOELLE_DOC, "status": "added", "segments": 4, "encoding": "cp1252"},
        {"document": OBS_DOC, "status": "added", "segments": 2, "encoding": "utf-8"},
    ]
    again = cli.json("ingest", corpus)
    assert [r["status"] for r in again] == ["unchanged"] * 3
    assert len(cli.json("docs", "list")) == 3


def test_docs_and_agents_json_shapes(project, cli):
    agents = cli.json("agents", "list")
    assert [(a["name"], a["attributes"]) for a in agents] == [
        ("Hélène", {"ancienneté": "19", "profil": "pragmatique"}),
        ("Joëlle Lefèvre-Nguyen", {"ancienneté": "8", "profil": "social"})]
    docs = {d["name"]: d for d in cli.json("docs", "list")}
    assert {k: docs[OBS_DOC][k] for k in ("kind", "segments", "agents")} == {
        "kind": "observation", "segments": 2, "agents": ["Hélène", "Joëlle Lefèvre-Nguyen"]}
    assert docs[HELENE_DOC]["kind"] == "interview"
    assert docs[HELENE_DOC]["agents"] == ["Hélène"]
    assert docs[HELENE_DOC]["words"] > 50

    shown = cli.json("docs", "show", HELENE_DOC)
    assert shown["name"] == HELENE_DOC and shown["kind"] == "interview"
    speakers = [(s["n"], s["speaker"]) for s in shown["segments"]]
    # the no-break space before the colon still opens an interviewer turn
    assert speakers == [(1, "Enquêtrice"), (2, "Hélène"), (3, "Enquêtrice"), (4, "Hélène")]
    for seg in shown["segments"]:
        assert shown["text"][seg["start"]:seg["end"]] == seg["text"]
    assert shown["segments"][2]["text"] == "Vous en parlez avec les collègues ?"
    # accent- and case-insensitive document names
    assert cli.json("docs", "show", "ENTRETIEN_helene_ETE")["name"] == HELENE_DOC


def test_windows_utf16_docx_odt_and_vtt_files_are_read(cli, tmp_path):
    import docx
    from odf.opendocument import OpenDocumentText
    from odf.text import P

    folder = tmp_path / "formats"
    folder.mkdir()
    turn = "Marcel : Le côté humain a disparu, on traite des flux, plus des personnes.\n"
    (folder / "marcel_utf16.txt").write_bytes(("Enquêtrice : Et vous ?\n" + turn)
                                             .encode("utf-16"))
    document = docx.Document()
    document.add_paragraph("Enquêtrice : Qu’avez-vous perdu avec la réforme ?")
    document.add_paragraph("Sophie : La polyvalence ; je ne fais plus que du tri à l’entrée.")
    document.save(folder / "entretien_sophie.docx")
    odt = OpenDocumentText()
    odt.text.addElement(P(text="Jeudi : une usagère proteste « on ne nous écoute plus »."))
    odt.text.addElement(P(text="L’agent hausse les épaules et appelle le numéro suivant."))
    odt.save(str(folder / "observation_jeudi.odt"))
    (folder / "réunion.vtt").write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Enquêtrice>Ça se passe comment ?\n\n"
        "00:00:04.500 --> 00:00:09.000\n<v Sophie>Mal : on court après le chiffre.\n",
        encoding="utf-8")
    results = {r["document"]: r for r in cli.json("ingest", folder)}
    assert results["marcel_utf16.txt"]["encoding"] == "utf-16"
    assert {r["status"] for r in results.values()} == {"added"}
    assert [s["text"] for s in cli.json("docs", "show", "marcel_utf16.txt")["segments"]] == [
        "Et vous ?", "Le côté humain a disparu, on traite des flux, plus des personnes."]
    sophie = cli.json("docs", "show", "entretien_sophie.docx")["segments"]
    assert [(s["speaker"], s["text"]) for s in sophie] == [
        ("Enquêtrice", "Qu’avez-vous perdu avec la réforme ?"),
        ("Sophie", "La polyvalence ; je ne fais plus que du tri à l’entrée.")]
    odt_segments = cli.json("docs", "show", "observation_jeudi.odt")["segments"]
    assert odt_segments[0]["text"] == "Jeudi : une usagère proteste « on ne nous écoute plus »."
    vtt = cli.json("docs", "show", "réunion.vtt")["segments"]
    assert [(s["speaker"], s["text"]) for s in vtt] == [
        ("Enquêtrice", "Ça se passe comment ?"), ("Sophie", "Mal : on court après le chiffre.")]


@pytest.mark.parametrize("name, content, words", [
    ("vide.txt", b"", ["vide.txt", "empty"]),
    ("binaire.txt", bytes(range(256)) * 8, ["binaire.txt", "binary"]),
    ("cassé.docx", b"pas un zip", ["cassé.docx", "docx"]),
])
def test_ingest_bad_files_one_line_and_nothing_stored(project, cli, name, content, words):
    before = state(cli)
    path = project / name
    path.write_bytes(content)
    result = cli("ingest", path)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and all(w in errors[0] for w in words), result.stderr
    assert "Traceback" not in result.stderr
    assert state(cli) == before


def test_ingest_missing_path(project, cli):
    result = cli("ingest", project / "absent.txt")
    assert result.exit_code == 1
    assert "absent.txt" in result.stderr and "Traceback" not in result.stderr


# --- codebook and coding -------------------------------------------------------------------


def test_codebook_show_json(project, cli):
    codes = cli.json("codebook", "show")
    assert [(c["name"], c["parent"]) for c in codes] == [(M, None), (S, M), (D, None), (E, None)]
    first = codes[0]
    assert first["description"] == "L’usager soupçonne l’agent ou l’institution de lui nuire."
    assert first["keywords"] == ["méfiance", "soupçonner"]
    assert first["examples"] == ["Ils croient qu’on leur cache quelque chose."]


def test_code_apply_matches_names_leniently_and_remove_by_coder(project, cli):
    # a straight apostrophe and capitals find `méfiance d’usager`
    cli.ok("code", "apply", f"{HELENE_DOC}:2", "Méfiance d'usager", "--coder", "Joëlle")
    row = next(r for r in cli.json("segments", "--coder", "Joëlle") if r["segment"] == 2)
    assert row["codes"] == [M]
    result = cli("code", "remove", f"{HELENE_DOC}:2", M, "--coder", "ana")
    assert_one_line_error(result, "no coding", "ana")
    cli.ok("code", "remove", f"{HELENE_DOC}:2", M, "--coder", "Joëlle")
    assert cli.json("segments", "--coder", "Joëlle") == []


@pytest.mark.parametrize("args, words", [
    (("code", "apply", "inconnu.txt:1", E), ["unknown document", "inconnu.txt"]),
    (("code", "apply", f"{HELENE_DOC}:9", E), ["no segment 9", "it has 4"]),
    (("code", "apply", f"{HELENE_DOC}:0", E), ["no segment 0"]),
    (("code", "apply", f"{HELENE_DOC}:2", "colère"), ["unknown code", "colère"]),
    (("code", "apply", HELENE_DOC, E), ["not a segment reference"]),
    (("code", "remove", f"{HELENE_DOC}:2", E), ["no coding"]),
    (("segments", "--coder", "personne"), ["unknown coder", "personne"]),
    (("segments", "--where", "âge=40"), ["no agent has an attribute", "âge"]),
    (("cooccurrence", "--by", "genre"), ["no agent has the attribute", "genre", "profil"]),
    (("crosstab", "--by", "genre"), ["no agent has the attribute", "genre"]),
    (("cooccurrence", "--by", "profil", "--coder", "personne"), ["unknown coder"]),
    (("cooccurrence", "--by", "profil", "--unit", "phrase"), ["unknown unit"]),
    (("cooccurrence", "--by", "profil", "--measure", "pmi"), ["unknown measure"]),
    (("agreement", "--coders", "ana", "personne"), ["unknown coder", "personne"]),
    (("docs", "show", "inconnu"), ["unknown document"]),
])
def test_bad_references_one_line_exit_1_nothing_changed(project, cli, args, words):
    before = state(cli)
    assert_one_line_error(cli(*args), *words)
    assert state(cli) == before


def test_usage_errors_exit_2(project, cli):
    assert cli("agreement", "--coders", "ana").exit_code == 2
    assert cli("code", "apply").exit_code == 2
    assert cli("cooccurrence", "--nope").exit_code == 2


def code_export(cli, path: Path) -> list[dict[str, str]]:
    cli.ok("code", "export", path)
    return list(csv.DictReader(path.open(encoding="utf-8")))


def test_code_export_import_round_trip_with_both_layouts(project, cli, tmp_path):
    rows = code_export(cli, tmp_path / "codages.csv")
    assert len(rows) == len(CODINGS)
    assert {(r["document"], r["segment"], r["code"], r["coder"]) for r in rows} == {
        (*ref.split(":"), code, coder) for ref, code, coder in CODINGS}

    # into a fresh corpus: same documents, then the codings file
    other = Cli2(tmp_path / "autre.db")
    other.ok("ingest", tmp_path / "terrain")
    other.ok("codebook", "import", tmp_path / "accueil.yaml")
    other.ok("code", "import", tmp_path / "codages.csv")
    assert code_export(other, tmp_path / "again.csv") == rows

    # start,end instead of segment: a span inside Hélène's second turn
    text = other.json("docs", "show", HELENE_DOC)
    seg = text["segments"][3]
    start = text["text"].index("ils demandent", seg["start"])
    spans = tmp_path / "spans.csv"
    spans.write_text("document,start,end,code,coder\n"
                     f"{HELENE_DOC},{start},{start + 29},{E},claire\n", encoding="utf-8")
    other.ok("code", "import", spans)
    row = next(r for r in other.json("segments", "--coder", "claire"))
    assert (row["document"], row["segment"], row["codes"]) == (HELENE_DOC, 4, [E])


class Cli2:
    """The `cli` fixture's runner bound to another database."""

    def __init__(self, db: Path) -> None:
        self.db, self.runner = db, CliRunner()

    def __call__(self, *args):
        return self.runner.invoke(app, ["--db", str(self.db), *map(str, args)])

    def ok(self, *args):
        result = self(*args)
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return result

    def json(self, *args):
        return json.loads(self.ok(*args, "--json").stdout)


@pytest.mark.parametrize("content, words", [
    ("document,segment,code,coder\ninconnu.txt,2,entraide,ana\n"
     f"{HELENE_DOC},7,entraide,ana\n{HELENE_DOC},2,colère,ana\n",
     ["3 problems", "line 2", "line 3", "line 4", "inconnu.txt", "colère"]),
    ('document,segment,code,coder\n"entretien,2,entraide,ana\n', ["unclosed quote", "line 2"]),
    ("doc,seg\n1,2\n", ["lacks the column"]),
    ("", ["is empty"]),
])
def test_code_import_refuses_bad_files_whole(project, cli, content, words):
    before = state(cli)
    path = project / "codages.csv"
    path.write_text(content, encoding="utf-8")
    assert_one_line_error(cli("code", "import", path), *words)
    assert state(cli) == before


@pytest.mark.sqlite_only
def test_failed_import_leaves_no_backup_and_keeps_older_ones(project, cli, db_path):
    backups = Path(str(db_path) + ".backups")
    before = sorted(backups.glob("*.db"))  # the codebook import made one
    good = project / "bon.csv"
    good.write_text(f"document,segment,code,coder\n{OBS_DOC},2,{E},ana\n", encoding="utf-8")
    result = cli.ok("code", "import", good)
    assert "Backup before code import" in result.stderr
    kept = sorted(backups.glob("*.db"))
    assert len(kept) == len(before) + 1
    bad = project / "mauvais.csv"
    bad.write_text(f"document,segment,code,coder\n{OBS_DOC},9,{E},ana\n", encoding="utf-8")
    for _ in range(12):  # more failures than backups kept: the good one must survive
        assert_one_line_error(cli("code", "import", bad), "no segment 9")
    assert_one_line_error(cli("code", "import", project / "absent.csv"), "absent.csv")
    assert sorted(backups.glob("*.db")) == kept


# --- retrieval -----------------------------------------------------------------------------


def test_segments_filters_json(project, cli):
    rows = cli.json("segments", "--code", M, "--where", "profil=pragmatique", "--coder", "ana")
    # méfiance with its sub-code, said by a pragmatique agent, coded by ana: Hélène's turn 4
    # (soupçon de dissimulation) and the first paragraph of the observation (both agents)
    assert [(r["document"], r["segment"]) for r in rows] == [(HELENE_DOC, 4), (OBS_DOC, 1)]
    first = rows[0]
    assert set(first) >= {"document", "segment", "text", "codes", "agents"}
    assert first["codes"] == [D, S]
    assert first["agents"] == ["Hélène"]
    assert rows[1]["agents"] == ["Hélène", "Joëlle Lefèvre-Nguyen"]
    assert first["text"].startswith("Un peu. Les assurés croient")


def test_attribute_keys_match_without_accents_or_case(project, cli):
    # the CSV column is `ancienneté`; DESIGN.md and hurried users write `anciennete`
    plain = cli.json("segments", "--where", "ancienneté=19")
    assert cli.json("segments", "--where", "ANCIENNETE=19") == plain
    assert {r["document"] for r in plain} == {HELENE_DOC, OBS_DOC}
    assert cli.json("segments", "--where", "Profil=SOCIAL") == cli.json(
        "segments", "--where", "profil=social")
    table = cli.json("cooccurrence", "--by", "Anciennete", "--coder", "ana")
    assert table["by"] == "ancienneté"
    assert [t["group"] for t in table["tables"]] == ["(all)", "19", "8"]
    assert cli.json("crosstab", "--by", "PROFIL")["groups"] == [
        "pragmatique", "social", "(total)"]


# --- analysis ------------------------------------------------------------------------------


def tables_of(data: dict) -> dict[str, tuple[int, list[list]]]:
    return {t["group"]: (t["units"], t["matrix"]) for t in data["tables"]}


def test_cooccurrence_by_segment_counted_by_hand(project, cli):
    data = cli.json("cooccurrence", "--by", "profil", "--coder", "ana")
    assert (data["by"], data["unit"], data["measure"]) == ("profil", "segment", "count")
    assert all(t["codes"] == [M, D, E] for t in data["tables"])
    # ana's codes per segment (soupçon rolls up into méfiance):
    #   H2 D · H3 E (interviewer) · H4 M D · J2 E M · J4 E · O1 M E · O2 -
    # pragmatique = H2 H4 O1 O2 (Hélène's turns, the observation), social = J2 J4 O1 O2
    assert tables_of(data) == {
        "(all)": (10, [[3, 1, 2], [1, 2, 0], [2, 0, 4]]),
        "pragmatique": (4, [[2, 1, 1], [1, 2, 0], [1, 0, 1]]),
        "social": (4, [[2, 0, 2], [0, 0, 0], [2, 0, 3]]),
    }
    jaccard = tables_of(cli.json("cooccurrence", "--by", "profil", "--coder", "ana",
                                 "--measure", "jaccard"))
    assert jaccard["(all)"][1][0][2] == pytest.approx(2 / (3 + 4 - 2))
    assert jaccard["(all)"][1][0][1] == pytest.approx(1 / (3 + 2 - 1))
    row_pct = tables_of(cli.json("cooccurrence", "--by", "profil", "--coder", "ana",
                                 "--measure", "row-pct"))
    assert row_pct["(all)"][1][0] == pytest.approx([100, 100 / 3, 200 / 3])


def test_cooccurrence_by_document_and_agent(project, cli):
    # documents: H (M D E), J (M E), O (M E); O belongs to both profils
    docs = tables_of(cli.json("cooccurrence", "--by", "profil", "--coder", "ana",
                              "--unit", "document"))
    assert docs["(all)"] == (3, [[3, 1, 3], [1, 1, 1], [3, 1, 3]])
    assert docs["pragmatique"][0] == 2 and docs["social"][0] == 2
    # agents: Hélène (H2 H4 O1 O2: M D E), Joëlle (J2 J4 O1 O2: M E)
    agents = tables_of(cli.json("cooccurrence", "--by", "profil", "--coder", "ana",
                                "--unit", "agent"))
    assert agents["(all)"] == (2, [[2, 1, 2], [1, 1, 1], [2, 1, 2]])
    assert agents["social"] == (1, [[1, 0, 1], [0, 0, 0], [1, 0, 1]])


def test_cooccurrence_formats_and_output_files(project, cli, tmp_path):
    import openpyxl

    common = ("cooccurrence", "--by", "profil", "--coder", "ana")
    md = cli.ok(*common, "--format", "md").stdout
    assert "| méfiance d’usager | 3 | 1 | 2 |" in md
    assert "coders: ana" in md and "codebook Accueil 2" in md
    tex = cli.ok(*common, "--format", "tex").stdout
    assert "\\toprule" in tex and "\\caption{" in tex and "méfiance d’usager & 3 & 1 & 2" in tex
    rows = list(csv.DictReader(io.StringIO(cli.ok(*common, "--format", "csv").stdout)))
    cell = next(r for r in rows if (r["group"], r["code_row"], r["code_col"])
                == ("social", E, E))
    assert (cell["value"], cell["units"]) == ("3", "4")
    # a CSV row cut from its file still says whose codings, with which codebook
    assert (cell["coders"], cell["unit"], cell["measure"]) == ("ana", "segment", "count")
    assert cell["codebook"].startswith("Accueil 2 #")
    out = tmp_path / "cooc.xlsx"
    cli.ok(*common, "-o", out)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["(all)", "pragmatique", "social", "provenance"]
    values = list(book["social"].iter_rows(values_only=True))
    header = next(i for i, r in enumerate(values) if r[0] == "code")
    assert values[header] == ("code", M, D, E)
    assert values[header + 3] == (E, 2, 0, 3)
    json_out = tmp_path / "cooc.json"
    cli.ok(*common, "--format", "json", "-o", json_out)
    saved = json.loads(json_out.read_text(encoding="utf-8"))
    assert tables_of(saved) == tables_of(cli.json(*common))


def test_crosstab_counts(project, cli):
    data = cli.json("crosstab", "--by", "profil", "--coder", "ana")
    assert data["codes"] == [M, D, E]
    # segments of a profil: H2 H4 O1 O2 / J2 J4 O1 O2; total: the 6 in any group
    assert data["segments"] == [[2, 2, 3], [2, 0, 2], [1, 3, 3]]
    assert data["base"]["group_segments"] == [4, 4, 6]


def test_agreement_counted_by_hand(project, cli):
    data = cli.json("agreement", "--coders", "ana", "bruno")
    # both coded Hélène's and Joëlle's interviews: units H2 H4 J2 J4 (interviewer turns out)
    assert data["units"] == 4
    codes = {c["code"]: c for c in data["codes"]}
    assert [codes[D][k] for k in ("both", "only_a", "only_b", "neither")] == [1, 1, 0, 2]
    assert codes[D]["kappa"] == pytest.approx(0.5)  # po .75, pe .5
    assert codes[M]["kappa"] == pytest.approx(-1 / 3)  # po .5, pe .625
    assert data["overall"]["kappa"] == pytest.approx(7 / 27)  # 2/4/1/9 over 16 decisions
    assert {(d["document"], d["segment"], d["code"], d["coder"])
            for d in data["disagreements"]} == {
        (HELENE_DOC, 4, M, "bruno"), (HELENE_DOC, 4, S, "ana"), (HELENE_DOC, 4, D, "ana"),
        (JOELLE_DOC, 2, M, "ana"), (JOELLE_DOC, 4, E, "ana")}


# --- REFI-QDA, database option -------------------------------------------------------------


def test_qdpx_round_trip_keeps_codings_and_agents(project, cli, tmp_path):
    archive = tmp_path / "projet.qdpx"
    cli.ok("export", "qdpx", archive)
    other = Cli2(tmp_path / "importé.db")
    other.ok("import", "qdpx", archive)
    assert code_export(other, tmp_path / "b.csv") == code_export(cli, tmp_path / "a.csv")
    assert other.json("agents", "list") == cli.json("agents", "list")
    assert [c["name"] for c in other.json("codebook", "show")] == [M, S, D, E]


def test_db_option_env_variable_and_folder(project, db_path, tmp_path, monkeypatch):
    if not isinstance(db_path, Path):
        pytest.skip("about database files")
    runner = CliRunner()
    result = runner.invoke(app, ["docs", "list", "--json"], env={"QUALCODE_DB": str(db_path)})
    assert result.exit_code == 0 and len(json.loads(result.stdout)) == 3
    folder = tmp_path / "dossier"
    folder.mkdir()
    assert_one_line_error(runner.invoke(app, ["--db", str(folder), "docs", "list"]), "folder")
    missing = runner.invoke(app, ["--db", str(tmp_path / "absent.db"), "docs", "list"])
    assert_one_line_error(missing, "no corpus database")
    assert not (tmp_path / "absent.db").exists()


def test_json_output_is_only_json_even_with_warnings(project, cli, tmp_path):
    # an unknown speaker gives a warning on stderr; stdout stays one JSON document
    (tmp_path / "inconnu.txt").write_text("Enquêtrice : Bonjour.\n\nGaspard : Bonjour.\n",
                                          encoding="utf-8")
    result = cli.ok("ingest", tmp_path / "inconnu.txt", "--json")
    assert json.loads(result.stdout)[0]["status"] == "added"
    assert "Gaspard" in result.stderr
    for args in (("segments",), ("cooccurrence", "--by", "profil"), ("crosstab", "--by",
                 "profil"), ("agreement", "--coders", "ana", "bruno"), ("codebook", "show"),
                 ("code", "import", tmp_path / "vide.csv")):
        if args[0] == "code":
            (tmp_path / "vide.csv").write_text(
                f"document,segment,code,coder\n{OBS_DOC},2,{E},ana\n", encoding="utf-8")
        result = cli.ok(*args, "--json")
        json.loads(result.stdout)


def test_agents_reimport_with_other_header_case_updates_the_same_attributes(project, cli):
    csv_1252 = project / "agents_excel.csv"
    csv_1252.write_bytes("Nom;Profil;Ancienneté\nHélène;social;20\n".encode("cp1252"))
    cli.ok("agents", "import", csv_1252)
    helene = next(a for a in cli.json("agents", "list") if a["name"] == "Hélène")
    assert helene["attributes"] == {"ancienneté": "20", "profil": "social"}
    twins = project / "jumeaux.csv"
    twins.write_text("nom,age,âge\nMarc,40,41\n", encoding="utf-8")
    before = state(cli)
    assert_one_line_error(cli("agents", "import", twins), "two columns", "age, âge")
    assert state(cli) == before


def test_code_apply_and_remove_json(project, cli):
    applied = cli.json("code", "apply", f"{OBS_DOC}:2", E, D, "--coder", "ana")
    assert (applied["document"], applied["segment"], applied["applied"]) == (OBS_DOC, 2, [E, D])
    removed = cli.json("code", "remove", f"{OBS_DOC}:2", E, "--coder", "ana")
    assert (removed["code"], removed["removed"], removed["coder"]) == (E, 1, "ana")
    rows = cli.json("segments", "--doc", OBS_DOC, "--coder", "ana")
    assert [(r["segment"], r["codes"]) for r in rows] == [(1, [E, M]), (2, [D])]


def test_table_bases_read_as_english(project, cli):
    md = cli.ok("cooccurrence", "--by", "profil", "--unit", "agent", "--format", "md").stdout
    assert "Base: 1 agent (profil = social)" in md
    assert "Base: 2 agents (all)" in md


def test_suggestions_count_nowhere_until_accepted_in_review(cli, tmp_path):
    corpus = write_corpus(tmp_path / "terrain")
    (tmp_path / "accueil.yaml").write_text(CODEBOOK, encoding="utf-8")
    (tmp_path / "agents.csv").write_text(AGENTS, encoding="utf-8")
    cli.ok("agents", "import", tmp_path / "agents.csv")
    cli.ok("ingest", corpus)
    cli.ok("codebook", "import", tmp_path / "accueil.yaml")
    found = cli.json("suggest", "--min-score", "0.3")
    # `soupçonnent` in Joëlle's first turn is the keyword `soupçonner` on its lemma
    hit = next(s for s in found if (s["document"], s["segment"]) == (JOELLE_DOC, 2))
    assert set(hit) >= {"document", "segment", "code", "score", "evidence"}
    assert hit["code"] == M and 0.3 <= hit["score"] <= 1
    assert "soupçonnent" in json.dumps(hit["evidence"], ensure_ascii=False)
    assert cli.json("segments", "--coded") == []
    counts = cli.json("cooccurrence", "--by", "profil")["tables"][0]["matrix"]
    assert counts == [[0, 0, 0], [0, 0, 0], [0, 0, 0]]
    # review, most uncertain first: accept the Joëlle suggestion, whatever its rank
    order = [(s["document"], s["segment"]) for s in found]
    keys = ["a" if ref == (JOELLE_DOC, 2) else "r" for ref in order]
    result = cli("review", "--coder", "ana", input="\n".join([*keys, "q", ""]))
    assert result.exit_code == 0, result.stderr
    rows = cli.json("segments", "--coder", "ana")
    assert (JOELLE_DOC, 2, [M]) in [(r["document"], r["segment"], r["codes"]) for r in rows]


def test_docs_list_never_cuts_the_names_users_type(project, cli, tmp_path):
    long_name = "entretien_Joëlle_Lefèvre-Nguyen_2024-06-12_relance.txt"
    (tmp_path / long_name).write_text(JOELLE, encoding="utf-8")
    cli.ok("ingest", tmp_path / long_name)
    out = cli.ok("docs", "list").stdout
    for name in (HELENE_DOC, JOELLE_DOC, OBS_DOC, long_name):
        assert name in out


def test_agent_forgotten_at_first_ingest_can_be_linked_later(project, cli, tmp_path):
    note = tmp_path / "note_hall.txt"
    note.write_text("La file déborde jusque dans le hall.\n\nPersonne ne vient aider.\n",
                    encoding="utf-8")
    cli.ok("ingest", note)
    cli.ok("code", "apply", "note_hall.txt:2", E, "--coder", "ana")
    result = cli.ok("ingest", note, "--agent", "Joëlle Lefèvre-Nguyen", "--json")
    assert json.loads(result.stdout)[0]["status"] == "unchanged"
    assert "now also linked to Joëlle Lefèvre-Nguyen" in result.stderr
    doc = next(d for d in cli.json("docs", "list") if d["name"] == "note_hall.txt")
    assert doc["agents"] == ["Joëlle Lefèvre-Nguyen"]
    rows = cli.json("segments", "--where", "profil=social", "--doc", "note_hall.txt")
    assert [(r["segment"], r["codes"]) for r in rows] == [(1, []), (2, [E])]
    again = cli.ok("ingest", note, "--agent", "Joëlle Lefèvre-Nguyen")
    assert "linked" not in again.stderr


def test_wide_tables_stay_readable_on_an_80_column_terminal(project, cli):
    names = [f"thème d’analyse numéro {n}" for n in range(1, 13)]
    for name in names:
        cli.ok("codebook", "add", name)
    cli.ok("code", "apply", f"{HELENE_DOC}:2", names[0], names[11], "--coder", "ana")
    result = cli("cooccurrence", "--codes", ",".join(names), "--coder", "ana",
                 env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line[:1] in "┏┃┡│└"]
    assert max(len(line) for line in lines) <= 80
    assert "…" not in result.stdout  # no cut header, no cell squeezed to nothing
    for i, name in enumerate(names, 1):
        assert f"{i}. {name}" in result.stdout  # codes numbered, the columns carry numbers
    first = [line for line in lines if "1. thème d’analyse numéro 1 " in line]
    twelfth = [line for line in lines if "12. thème d’analyse numéro 12 " in line]
    # the pair (1, 12) co-occurs once: row 1 has a 1 in column 12, row 12 in column 1
    assert first[0].split("│")[2].strip() == "1" and twelfth[0].split("│")[2].strip() == "1"
    assert "1" in first[-1].split("│")[-2] and "1" in twelfth[-1].split("│")[-2]
