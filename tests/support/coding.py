"""Shared builders for the coding tests: a codebook and a small two-document corpus.

Codes are stored as rows directly (the codebook importer is tested on its own).
"""

from __future__ import annotations

from sqlalchemy import func, select

from qualcode.codebook.lookup import code_key
from qualcode.corpus.agents import upsert_agent
from qualcode.models import Code, Coding

# name, parent, colour, codable
CODES = [
    ("attente", None, "#1f77b4", True),
    ("discrédit", None, "#d62728", True),
    ("mépris", "discrédit", "#ff9896", True),
    ("indifférence", "discrédit", None, True),
    ("relations", None, None, False),
    ("hiérarchie", "relations", "#2ca02c", True),
]

# entretien_01.txt: segments 1 (E), 2 (Hélène), 3 (E), 4 (Hélène), 5 (Marc)
INTERVIEW = [
    ("E", "Comment se passe l’accueil le matin ?"),
    ("Hélène", "Les usagers attendent des heures au guichet, ils s’énervent contre nous."),
    ("E", "Et votre hiérarchie, elle vous soutient ?"),
    ("Hélène", "La direction ne nous écoute pas : c’est du mépris, du mépris pur."),
    ("Marc", "Moi je fais mon travail, le reste ne me regarde pas."),
]
# notes_01.txt: an observation of both agents (paragraphs without speaker)
NOTES = [
    (None, "File d’attente de vingt personnes devant le guichet dès huit heures."),
    (None, "Un usager crie ; Marc hausse les épaules, Hélène vient l’apaiser."),
]


def add_codes(db, codes=CODES) -> dict[str, int]:
    ids: dict[str, int] = {}
    with db.session(write=True) as s:
        for pos, (name, parent, colour, codable) in enumerate(codes):
            code = Code(name=name, norm_name=code_key(name), parent_id=ids.get(parent),
                        colour=colour, is_codable=codable, position=pos)
            s.add(code)
            s.flush()
            ids[name] = code.id
    return ids


def build_corpus(db, make_doc) -> dict[str, int]:
    with db.session(write=True) as s:
        upsert_agent(s, "Hélène", {"profil": "social", "centre": "Nord"})
        upsert_agent(s, "Marc", {"profil": "pragmatique", "centre": "Sud"})
    make_doc("entretien_01.txt", INTERVIEW)
    make_doc("notes_01.txt", NOTES, kind="observation", agents=("Hélène", "Marc"))
    return add_codes(db)


def count_codings(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Coding))


def codings(db) -> list[tuple]:
    """(document, start, end, code, coder, origin) of every coding, sorted."""
    from qualcode.models import Coder, Document

    with db.session() as s:
        rows = s.execute(
            select(Document.name, Coding.start, Coding.end, Code.name, Coder.name, Coding.origin)
            .join(Document, Document.id == Coding.document_id)
            .join(Code, Code.id == Coding.code_id).join(Coder, Coder.id == Coding.coder_id)
        ).all()
    return sorted(tuple(r) for r in rows)


def seg_span(db, doc: str, n: int) -> tuple[int, int, str]:
    from qualcode.corpus.documents import get_segment

    with db.session() as s:
        d, seg = get_segment(s, f"{doc}:{n}")
        return seg.start, seg.end, d.text[seg.start:seg.end]
