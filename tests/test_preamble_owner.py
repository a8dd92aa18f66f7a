"""Text before the first speaker label of a transcript belongs to nobody (not to the
document's agents), in every reader of the rule: segment_agents, segments --where, the
interactive session's agents and the analyses. A note without speakers keeps its agents."""

from __future__ import annotations

from sqlmodel import select

from qualcode.coding.interactive import CodingModel
from qualcode.corpus.agents import segment_agents
from qualcode.models import Agent, Segment

INTERVIEW = (
    "Entretien avec Marc, le 12 mars, à l’agence de Roubaix.\n\n"
    "Enquêtrice : Comment se passe l’accueil le lundi ?\n\n"
    "Marc : Franchement, on court partout, c’est la cadence qui décide.\n"
)
NOTE = "Observation au guichet : Marc et Lina se relaient devant la borne.\n"


def _corpus(tmp_path, cli):
    (tmp_path / "entretien_marc.txt").write_text(INTERVIEW, encoding="utf-8")
    (tmp_path / "note_guichet.txt").write_text(NOTE, encoding="utf-8")
    (tmp_path / "agents.csv").write_text("name,profil\nMarc,pragmatique\nLina,social\n",
                                         encoding="utf-8")
    cli.ok("agents", "import", str(tmp_path / "agents.csv"))
    cli.ok("ingest", str(tmp_path / "entretien_marc.txt"), "--agent", "Marc")
    cli.ok("ingest", str(tmp_path / "note_guichet.txt"), "--kind", "observation",
           "--agent", "Marc", "--agent", "Lina")
    cli.ok("codebook", "add", "cadence")
    for ref in ("entretien_marc.txt:1", "entretien_marc.txt:3", "note_guichet.txt:1"):
        cli.ok("code", "apply", ref, "cadence")


def test_the_preamble_belongs_to_nobody_and_a_note_to_its_agents(tmp_path, cli, db):
    _corpus(tmp_path, cli)
    with db.session() as s:
        by_doc_n = {(seg.document_id, seg.n): seg.id for seg in s.exec(select(Segment))}
        owners = segment_agents(s)
        names = {a.id: a.name for a in s.exec(select(Agent))}
    named = {key: sorted(names[a] for a in owners[sid]) for key, sid in by_doc_n.items()}
    # document 1: preamble, interviewer, Marc; document 2: the note
    assert named[(1, 1)] == [] and named[(1, 2)] == [] and named[(1, 3)] == ["Marc"]
    assert named[(2, 1)] == ["Lina", "Marc"]
    rows = cli.json("segments", "--code", "cadence", "--where", "profil=pragmatique")
    assert [(r["document"], r["segment"]) for r in rows] == [
        ("entretien_marc.txt", 3), ("note_guichet.txt", 1)]
    table = cli.json("crosstab", "--by", "profil")
    # cadence: Marc's turn and the note for pragmatique, the note for social; the preamble
    # and the interviewer's question belong to no group (they counted for Marc before)
    assert table["segments"] == [[2, 1, 2]]
    assert table["base"]["unassigned_segments"] == 2
    model = CodingModel(db, document="entretien_marc.txt", coder="ana", start=1,
                        include_interviewer=True)
    assert model.state().agents == []
    model = CodingModel(db, document="note_guichet.txt", coder="ana", start=1)
    assert sorted(name for name, _attrs in model.state().agents) == ["Lina", "Marc"]
