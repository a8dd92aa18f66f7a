"""Lean reads: `segments` filters in SQL with the same results as the in-memory matching,
`history` without undo payloads, `check` streaming, light commands without the ORM."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from qualcode.coding.retrieve import _fold_fast, find_segments
from qualcode.models import (
    Agent,
    AgentAttribute,
    Code,
    Coder,
    Coding,
    Document,
    DocumentAgent,
    Segment,
)
from qualcode.textutil import fold, norm_name, sha256_text

PHRASES = ["Alors, on reçoit l’usager au guichet.", "Enquêtrice : et après ?",
           "« C’est la hiérarchie qui décide », dit-elle.", "Œuvre sociale, pas de mépris.",
           "On attend des heures ; c’est long.", "Le dossier est incomplet, voilà."]
AGENTS = ["Hélène", "Marc", "Zoé"]
VALUES = {"profil": ["social", "Social", "pragmatique", "militante"],
          "centre": ["Nord", "nord", "Sud"]}
CODES = ["attente", "attente longue", "mépris", "hiérarchie"]  # "attente longue" under "attente"


def reference(corpus: dict, *, codes=(), exact=False, where=None, kind=None, coders=(),
              doc=None, text=None, uncoded=False, coded=False, spans=False) -> list[dict]:
    """The retrieval semantics by brute force over plain lists: every segment, every coding
    compared with every segment (no SQL, no index, no binary search)."""
    if coders and not uncoded:
        coded = True
    names = corpus["code_names"]
    parent = corpus["code_parent"]

    def under(code_id: int, top: int) -> bool:
        while code_id is not None:
            if code_id == top:
                return True
            code_id = parent[code_id]
        return False

    by_name = {n: i for i, n in names.items()}
    wanted = [{by_name[c]} if exact else {i for i in names if under(i, by_name[c])}
              for c in codes]
    coder_ids = {corpus["coder_ids"][c] for c in coders}
    attrs = corpus["attrs"]
    conditions = {norm_name(k): norm_name(v) for k, v in (where or {}).items()}
    ok_agents = {a for a, values in attrs.items()
                 if all({norm_name(k): norm_name(v) for k, v in values.items()}.get(k) == v
                        for k, v in conditions.items())}
    out = []
    for seg in corpus["segments"]:
        d = corpus["docs"][seg["doc"]]
        if doc is not None and d["name"] != doc or kind is not None and d["kind"] != kind:
            continue
        here = [c for c in corpus["codings"] if c["doc"] == seg["doc"]
                and (not coder_ids or c["coder"] in coder_ids)
                and c["start"] < seg["end"] and c["end"] > seg["start"]]
        present: dict[int, set[int]] = defaultdict(set)
        for c in here:
            present[c["code"]].add(c["coder"])
        if uncoded and (present or seg["interviewer"]) or coded and not present:
            continue
        if any(ids.isdisjoint(present) for ids in wanted):
            continue
        turns = any(x["doc"] == seg["doc"] and x["speaker"] is not None
                    for x in corpus["segments"])
        if seg["speaker"] is None:  # a transcript's text before its first label: nobody's
            agents = [] if turns else corpus["doc_agents"].get(seg["doc"], [])
        elif seg["interviewer"] or seg["agent"] is None:
            agents = []
        else:
            agents = [seg["agent"]]
        if where and ok_agents.isdisjoint(agents):
            continue
        if text and fold(text) not in _fold_fast(d["text"])[seg["start"]:seg["end"]]:
            continue
        agent_list = sorted(agents, key=lambda a: corpus["agent_names"][a])
        code_list = sorted((names[c] for c in present), key=lambda n: (n.casefold(), n))
        row = {
            "document": d["name"], "segment": seg["n"], "text": d["text"][seg["start"]:seg["end"]],
            "codes": code_list, "agents": [corpus["agent_names"][a] for a in agent_list],
            "speaker": seg["speaker"], "interviewer": seg["interviewer"], "kind": d["kind"],
            "start": seg["start"], "end": seg["end"],
            "profiles": {corpus["agent_names"][a]: dict(attrs.get(a, {})) for a in agent_list},
            "coded_by": {n: sorted(corpus["coder_names"][k] for k in present[by_name[n]])
                         for n in code_list},
        }
        if spans:
            row["spans"] = sorted(
                (names[c["code"]], max(c["start"], seg["start"]) - seg["start"],
                 min(c["end"], seg["end"]) - seg["start"]) for c in here)
        out.append(row)
    return sorted(out, key=lambda r: (r["document"], r["segment"]))


# A random corpus: documents of a few turns (speakers, interviewer, unknown speakers,
# fieldnotes), agents with profils, codings anywhere (across turns, inside labels, empty).
turn = st.tuples(st.sampled_from([None, "E", "Hélène", "Marc", "Inconnu"]),
                 st.sampled_from(PHRASES))
document = st.tuples(st.sampled_from(["interview", "observation"]),
                     st.lists(turn, min_size=1, max_size=5),
                     st.lists(st.sampled_from(AGENTS), max_size=2, unique=True))
agent_attrs = st.fixed_dictionaries({}, optional={
    k: st.sampled_from(v) for k, v in VALUES.items()})
coding = st.tuples(st.integers(0, 4), st.floats(0, 1), st.integers(0, 30),
                   st.sampled_from(range(len(CODES))), st.sampled_from([0, 1]))
corpus_strategy = st.fixed_dictionaries({
    "docs": st.lists(document, min_size=1, max_size=4),
    "attrs": st.lists(agent_attrs, min_size=len(AGENTS), max_size=len(AGENTS)),
    "codings": st.lists(coding, max_size=14),
})


def store(s, drawn: dict) -> dict:
    """Write the drawn corpus through the ORM (in a session the test rolls back)."""
    agents = []
    attrs: dict[int, dict[str, str]] = {}
    for name, values in zip(AGENTS, drawn["attrs"], strict=True):
        agent = Agent(name=name, norm_name=norm_name(name))
        s.add(agent)
        s.flush()
        agents.append(agent)
        attrs[agent.id] = dict(sorted(values.items()))
        for key, value in values.items():
            s.add(AgentAttribute(agent_id=agent.id, key=key, value=value))
    by_agent = {a.name: a.id for a in agents}
    code_ids: dict[str, int] = {}
    for pos, name in enumerate(CODES):
        code = Code(name=name, norm_name=norm_name(name), position=pos,
                    parent_id=code_ids.get("attente") if name == "attente longue" else None)
        s.add(code)
        s.flush()
        code_ids[name] = code.id
    coders = [Coder(name="ana"), Coder(name="bruno")]
    s.add_all(coders)
    s.flush()
    corpus: dict = {"docs": {}, "segments": [], "codings": [], "doc_agents": {},
                    "attrs": attrs, "agent_names": {a.id: a.name for a in agents},
                    "code_names": {i: n for n, i in code_ids.items()},
                    "code_parent": {i: (code_ids["attente"] if n == "attente longue" else None)
                                    for n, i in code_ids.items()},
                    "coder_ids": {c.name: c.id for c in coders},
                    "coder_names": {c.id: c.name for c in coders}}
    spans_of: list[list[tuple[int, int]]] = []
    for i, (kind, turns, doc_agents) in enumerate(drawn["docs"]):
        parts, segs, pos = [], [], 0
        for speaker, body in turns:
            if parts:
                pos += 2
            label = f"{speaker} : " if speaker and kind == "interview" else ""
            segs.append((pos + len(label), pos + len(label) + len(body),
                         speaker if kind == "interview" else None))
            parts.append(label + body)
            pos += len(label + body)
        text = "\n\n".join(parts)
        d = Document(name=f"entretien_{i:02d}.txt", kind=kind, text=text, source_path="",
                     format="txt", encoding="utf-8", text_hash=sha256_text(text),
                     content_hash="")
        s.add(d)
        s.flush()
        corpus["docs"][d.id] = {"name": d.name, "kind": kind, "text": text}
        corpus["doc_agents"][d.id] = [by_agent[a] for a in doc_agents]
        for a in doc_agents:
            s.add(DocumentAgent(document_id=d.id, agent_id=by_agent[a]))
        for n, (start, end, speaker) in enumerate(segs, 1):
            interviewer = speaker == "E"
            agent = None if interviewer or speaker is None else by_agent.get(speaker)
            s.add(Segment(document_id=d.id, n=n, start=start, end=end, speaker=speaker,
                          is_interviewer=interviewer, agent_id=agent))
            corpus["segments"].append({"doc": d.id, "n": n, "start": start, "end": end,
                                       "speaker": speaker, "interviewer": interviewer,
                                       "agent": agent})
        spans_of.append((d.id, len(text)))
    s.flush()
    seen = set()
    for doc_index, where, width, code, coder in drawn["codings"]:
        d_id, size = spans_of[doc_index % len(spans_of)]
        start = int(where * size)
        end = min(start + width, size)
        key = (code, d_id, start, end, coder)
        if key in seen:
            continue
        seen.add(key)
        row = {"doc": d_id, "start": start, "end": end, "code": code_ids[CODES[code]],
               "coder": coders[coder].id}
        s.add(Coding(code_id=row["code"], document_id=d_id, start=start, end=end,
                     coder_id=row["coder"]))
        corpus["codings"].append(row)
    s.flush()
    return corpus


filters = st.fixed_dictionaries({}, optional={
    "codes": st.lists(st.sampled_from(CODES), max_size=2, unique=True),
    "exact": st.booleans(),
    "where": st.dictionaries(st.sampled_from(["profil", "Profil", "centre"]),
                             st.sampled_from(["social", "SOCIAL", "pragmatique", "nord", "Sud"]),
                             max_size=2),
    "kind": st.sampled_from(["interview", "observation"]),
    "coders": st.lists(st.sampled_from(["ana", "bruno"]), max_size=2, unique=True),
    "text": st.sampled_from(["guichet", "HIERARCHIE", "c'est", "oe", "attend"]),
    "uncoded": st.booleans(),
    "coded": st.booleans(),
    "spans": st.booleans(),
})


def test_sql_filters_give_the_in_memory_results(db):
    """Random small corpora and random filters (codes with or without sub-codes, attribute
    conditions in any case, kinds, coders, words, coded or not): the SQL retrieval lists
    exactly what matching every segment against every coding in memory lists."""
    from qualcode.errors import NotFound, QualcodeError

    @settings(max_examples=120, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(corpus_strategy, filters)
    def check(drawn, options):
        with db.session() as s:  # a read session: rolled back at the end
            corpus = store(s, drawn)
            if options.get("uncoded") and (options.get("codes") or options.get("coded")):
                with pytest.raises(QualcodeError):
                    find_segments(s, **options)
                return
            where = options.get("where") or {}
            values = defaultdict(set)
            for a in corpus["attrs"].values():
                for k, v in a.items():
                    values[norm_name(k)].add(norm_name(v))
            if any(norm_name(v) not in values.get(norm_name(k), set())
                   for k, v in where.items()):
                with pytest.raises(NotFound):
                    find_segments(s, **options)
                return
            assert find_segments(s, **options) == reference(corpus, **options)

    check()


def test_docs_show_codes_match_every_overlapping_coding(db):
    """`docs show` looks only at the codings that can reach each segment: the same codes as
    comparing every coding with every segment."""
    from qualcode.corpus.documents import show_document

    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(corpus_strategy)
    def check(drawn):
        with db.session() as s:
            corpus = store(s, drawn)
            for d_id, d in corpus["docs"].items():
                shown = show_document(s, d["name"])
                expected = [sorted({corpus["code_names"][c["code"]]
                                    for c in corpus["codings"] if c["doc"] == d_id and (
                                        c["start"] < seg["end"] and c["end"] > seg["start"]
                                        or c["start"] == c["end"] == seg["start"])})
                            for seg in corpus["segments"] if seg["doc"] == d_id]
                assert [seg["codes"] for seg in shown["segments"]] == expected

    check()


def test_segments_by_document_and_code_from_the_command_line(cli, db):
    """The CLI path: a code with its sub-codes and an attribute condition."""
    with db.session(write=True) as s:
        store(s, {"docs": [("interview", [("Hélène", PHRASES[0]), ("E", PHRASES[1]),
                                          ("Marc", PHRASES[2])], [])],
                  "attrs": [{"profil": "social"}, {"profil": "pragmatique"}, {}],
                  "codings": [(0, 0.0, 30, 1, 0), (0, 0.8, 30, 2, 1)]})
    rows = cli.json("segments", "--code", "attente", "--where", "PROFIL=Social")
    assert [(r["segment"], r["codes"], r["agents"]) for r in rows] == [
        (1, ["attente longue"], ["Hélène"])]
    rows = cli.json("segments", "--code", "mépris")
    assert [(r["segment"], r["agents"]) for r in rows] == [(3, ["Marc"])]


@pytest.mark.sqlite_only  # PostgreSQL's json column cannot hold an unreadable payload
def test_history_lists_changes_without_reading_their_undo_data(cli, db):
    """An entry whose undo payload is huge (or unreadable) costs nothing to list."""
    from qualcode import audit
    from qualcode.models import AuditEntry

    with db.session(write=True) as s:
        s.add(AuditEntry(action="code-import", summary="import de 1 000 000 codages",
                         coder="ana", payload={"ops": []}))
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit SET payload = 'pas du JSON'")
    rows = cli.json("history")
    assert [(r["summary"], r["coder"], r["undone"]) for r in rows] == [
        ("import de 1 000 000 codages", "ana", False)]
    with db.session() as s:
        assert [e.summary for e in audit.history(s)] == ["import de 1 000 000 codages"]


def test_check_reports_a_coding_attached_to_another_documents_segment(cli, db, make_doc):
    make_doc("a.txt", [("Hélène", "Oui, c’est long.")])
    make_doc("b.txt", [("Marc", "Non, pas du tout.")])
    with db.session(write=True) as s:
        code = Code(name="attente", norm_name="attente")
        coder = Coder(name="ana")
        s.add_all([code, coder])
        s.flush()
        other = s.exec(select(Segment).where(Segment.document_id == 2)).one()
        s.add(Coding(code_id=code.id, document_id=1, start=9, end=13, coder_id=coder.id,
                     segment_id=other.id))
    result = cli("check")
    assert result.exit_code == 1
    assert "coding 1 in a.txt is attached to a segment that does not hold it" in result.stdout
    assert "1 problems" in result.stdout


def test_check_counts_whole_tables_without_loading_rows(cli, make_doc):
    make_doc("a.txt", [("Hélène", "Oui."), ("E", "Et ensuite ?"), ("Hélène", "Rien.")])
    data = cli.json("check")
    assert data == {"ok": True, "problems": [],
                    "counts": {"documents": 1, "segments": 3, "codings": 0, "codes": 0}}


PROBE = """import json, runpy, sys
sys.argv = ['qualcode', '--db', sys.argv[1], *sys.argv[2:]]
try:
    runpy.run_module('qualcode', run_name='__main__')
except SystemExit:
    pass
print(json.dumps([m for m in ('sqlalchemy', 'sqlmodel', 'qualcode.models') if m in sys.modules]))
"""


@pytest.mark.parametrize("command", [["docs", "list"], ["history"], ["status"], ["check"]])
def test_light_commands_do_not_import_the_orm(db_path, make_doc, command):
    if not isinstance(db_path, Path):
        pytest.skip("a server corpus is read through SQLAlchemy")
    make_doc("a.txt", [("Hélène", "Oui, c’est long.")])
    out = subprocess.run([sys.executable, "-c", PROBE, str(db_path), *command],
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []
