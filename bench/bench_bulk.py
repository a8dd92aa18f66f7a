"""`code import` at corpus scale: time and peak memory beside a plain executemany anchor.

For each size it builds a SQLite corpus with bulk inserts (documents of 100 segments, 30 codes,
two coders, no codings) and a codings CSV of one row per segment (one in ten a start,end span,
one in fifty a duplicate), then, each in a fresh process on its own copy of the corpus:

- `qualcode code import FILE.csv` (the whole command: start-up, automatic backup, reading,
  checking, writing, history entry, commit);
- the anchor: a plain sqlite3 `executemany` writing the same coding rows (same ids, spans,
  coders, a fresh `uuid4()` GUID each, one timestamp) into an empty copy in one transaction,
  with qualcode's settings (foreign keys on, WAL, synchronous NORMAL), rows from a generator,
  no CSV, no checks, no SQLAlchemy: the floor of the write itself.

Both are timed as wall clock of the process and peak RSS (ru_maxrss of the child alone).

    .venv/bin/python bench/bench_bulk.py                      # 100,000 segments
    .venv/bin/python bench/bench_bulk.py --sizes 100000 1000000

Target (issue #19): the import within 2x of the anchor, memory flat in the number of rows
(under 300 MB for 1M rows).

With ``--agreement`` it measures instead `qualcode agreement --coders alice bob --json` on the
co-occurrence bench's corpus (N segments, 2N codings of two coders): with the default list of
100 disagreements, beside `--all` (every disagreement listed) in the same run.

    .venv/bin/python bench/bench_bulk.py --agreement --sizes 1000000

With ``--reads`` it measures the read commands on the co-occurrence bench's corpus (N
segments in documents of 100, 2N codings of two coders, 200 agents with a profil, text hashes
set, and a history of 50 entries whose oldest holds the undo payload of N inserted rows), each
beside its anchor in a fresh process:

- `check` beside `PRAGMA integrity_check` + `PRAGMA foreign_key_check` (target <= 2x);
- `history` beside the query of its 20 rows (target: constant in corpus size);
- `segments --code "Thème 3" --where profil=social --json` beside one SQL query returning
  the same segments with their text (target <= 2x);
- `docs show DOC --json` beside the query of that document's segments and codings.

    .venv/bin/python bench/bench_bulk.py --reads --sizes 10000 100000

With ``--qdpx`` it measures `qualcode import qdpx` of a project of N segments (documents of 100
paragraphs, one coded selection per paragraph, one in ten a part of it, 30 codes, two users)
into an empty corpus, beside two anchors measured in the same run, each in a fresh process:
the unzip+parse floor (read project.qde and every source text, parse the XML with defusedxml,
as the import does) and a plain sqlite3 executemany writing the same documents, segments and
codings into an empty corpus in one transaction.

    .venv/bin/python bench/bench_bulk.py --qdpx --sizes 10000 100000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PHRASE = "on reçoit l’usager, on vérifie le dossier et on l’oriente vers le bon guichet."
PER_DOC = 100
CODES = 30
SPAN_EVERY = 10
DUPLICATE_EVERY = 50


def build(path: Path, segments: int) -> None:
    """An empty-of-codings corpus: documents, segments, codes, coders, by Core executemany."""
    from sqlalchemy import insert

    from qualcode.db import open_db
    from qualcode.models import Code, Coder, Document, Segment, utcnow

    serial = iter(range(1, 10**9))

    def guid() -> str:
        return f"00000000-0000-4000-8000-{next(serial):012d}"

    db = open_db(str(path))
    now = utcnow()
    docs = segments // PER_DOC
    seg_len = len(PHRASE)
    text = (PHRASE + "\n\n") * PER_DOC
    with db.session(write=True) as s:
        conn = s.connection()
        conn.execute(insert(Document.__table__), [
            {"id": d, "name": f"doc_{d:06d}.txt", "kind": "document", "source_path": "",
             "format": "txt", "encoding": "utf-8", "text": text, "text_hash": "",
             "content_hash": "", "words": 0, "meta": {}, "guid": guid(), "created_at": now}
            for d in range(1, docs + 1)])
        batch = []
        for d in range(1, docs + 1):
            for n in range(1, PER_DOC + 1):
                start = (n - 1) * (seg_len + 2)
                batch.append({"id": (d - 1) * PER_DOC + n, "document_id": d, "n": n,
                              "start": start, "end": start + seg_len, "speaker": None,
                              "is_interviewer": False, "agent_id": None, "text_hash": ""})
            if len(batch) >= 50_000:
                conn.execute(insert(Segment.__table__), batch)
                batch = []
        if batch:
            conn.execute(insert(Segment.__table__), batch)
        conn.execute(insert(Code.__table__), [
            {"id": c, "name": f"Thème {c}", "norm_name": f"thème {c}", "parent_id": None,
             "position": c, "description": "", "inclusion": "", "exclusion": "",
             "examples": [], "keywords": [], "is_codable": True, "guid": guid()}
            for c in range(1, CODES + 1)])
        conn.execute(insert(Coder.__table__), [{"id": 1, "name": "alice", "guid": guid()},
                                               {"id": 2, "name": "bob", "guid": guid()}])
    db.engine.dispose()


def planned(segments: int):  # noqa: ANN201
    """The rows of the CSV, as (document name, n, start, end, code, coder, is_span), and the
    coding rows they make: the same sequence for the CSV and for the anchor."""
    seg_len = len(PHRASE)
    for i in range(segments):
        d, n = i // PER_DOC + 1, i % PER_DOC + 1
        seg_start = (n - 1) * (seg_len + 2)
        span = i % SPAN_EVERY == SPAN_EVERY - 1
        start, end = (seg_start + 3, seg_start + 40) if span else (seg_start, seg_start + seg_len)
        yield d, n, i + 1, start, end, i % CODES + 1, i % 2 + 1, span


def write_csv(path: Path, segments: int) -> int:
    rows = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write("document,segment,start,end,code,coder\n")
        for d, n, _seg_id, start, end, code, coder, span in planned(segments):
            coder_name = "alice" if coder == 1 else "bob"
            line = (f"doc_{d:06d}.txt,,{start},{end},Thème {code},{coder_name}\n" if span
                    else f"doc_{d:06d}.txt,{n},,,Thème {code},{coder_name}\n")
            fh.write(line)
            rows += 1
            if rows % DUPLICATE_EVERY == 0:
                fh.write(line)
                rows += 1
    return rows


def anchor(db: Path, segments: int) -> None:
    """A plain executemany of the same coding rows into the empty copy, one transaction."""
    import uuid
    from datetime import UTC, datetime

    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    conn = sqlite3.connect(db, isolation_level=None)
    # the settings qualcode's engine uses (qualcode/db.py)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        'INSERT INTO coding (code_id, document_id, segment_id, start, "end", coder_id, origin, '
        "guid, created_at) VALUES (?, ?, ?, ?, ?, ?, 'import', ?, ?)",
        ((code, d, seg_id, start, end, coder, str(uuid.uuid4()), now)
         for d, _n, seg_id, start, end, code, coder, _span in planned(segments)))
    conn.execute("COMMIT")
    conn.close()


def measure(cmd: list[str]) -> dict[str, float]:
    """Wall seconds and peak RSS (MB) of ``cmd`` in a fresh process; run from a fresh wrapper
    process so that ru_maxrss of its children is this command's alone."""
    out = subprocess.run([sys.executable, __file__, "--measure", "--", *cmd], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _measure_child(cmd: list[str]) -> None:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode:
        sys.stderr.write(done.stderr)
        sys.exit(done.returncode)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    rss = usage.ru_maxrss / 1024
    # CPU seconds too: on a shared machine the wall clock also counts waiting for a core.
    print(json.dumps({"wall": wall, "rss_mb": rss, "cpu": usage.ru_utime + usage.ru_stime,
                      "stdout": done.stdout[-2000:]}))


def count_codings(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM coding").fetchone()[0]


def run_size(tmp: Path, segments: int) -> None:
    base = tmp / f"corpus_{segments}.db"
    t0 = time.perf_counter()
    build(base, segments)
    csv_path = tmp / f"codings_{segments}.csv"
    rows = write_csv(csv_path, segments)
    print(f"\n{segments:,} segments: corpus {base.stat().st_size / 1e6:.0f} MB built and "
          f"{rows:,}-row CSV ({csv_path.stat().st_size / 1e6:.0f} MB) written in "
          f"{time.perf_counter() - t0:.1f} s")
    exe = Path(sys.executable).parent / "qualcode"
    qualcode = [str(exe)] if exe.exists() else [sys.executable, "-m", "qualcode"]
    # the anchor first, on its own empty copy
    anchor_db = tmp / "anchor.db"
    shutil.copy(base, anchor_db)
    a = measure([sys.executable, __file__, "--anchor", str(anchor_db), str(segments)])
    anchored = count_codings(anchor_db)
    anchor_db.unlink()
    import_db = tmp / "import.db"
    shutil.copy(base, import_db)
    backups = tmp / "import.db.backups"
    r = measure([*qualcode, "--db", str(import_db), "code", "import", str(csv_path), "--json"])
    report = json.loads(r["stdout"])
    imported = count_codings(import_db)
    # the same import undone, in a fresh process too (the history keeps a range, not rows)
    u = measure([*qualcode, "--db", str(import_db), "undo", "--any"])
    left = count_codings(import_db)
    print(f"  plain executemany (anchor):  {a['wall']:6.2f} s  peak RSS {a['rss_mb']:5.0f} MB"
          f"  ({anchored:,} rows)")
    print(f"  qualcode code import:        {r['wall']:6.2f} s  peak RSS {r['rss_mb']:5.0f} MB"
          f"  ({report['added']:,} added, {report['skipped_duplicates']:,} duplicates"
          f" skipped)   {r['wall'] / a['wall']:.2f}x the anchor   target <= 2x")
    print(f"  qualcode undo of it:         {u['wall']:6.2f} s  peak RSS {u['rss_mb']:5.0f} MB"
          f"  ({left:,} codings left)")
    if imported != anchored:
        print(f"  note: the import wrote {imported:,} codings, the anchor {anchored:,}")
    for p in (import_db, base, csv_path):
        p.unlink()
    shutil.rmtree(backups, ignore_errors=True)
    for extra in tmp.glob("*.db-*"):
        extra.unlink()


def run_agreement(tmp: Path, segments: int) -> None:
    from bench_cooccurrence import build as build_cooc

    db = tmp / f"agreement_{segments}.db"
    t0 = time.perf_counter()
    build_cooc(db, segments=segments, codings=2 * segments, docs=max(1, segments // 100),
               agents=200)
    print(f"\n{segments:,} segments, {2 * segments:,} codings of alice and bob: corpus built "
          f"in {time.perf_counter() - t0:.1f} s")
    exe = Path(sys.executable).parent / "qualcode"
    qualcode = [str(exe)] if exe.exists() else [sys.executable, "-m", "qualcode"]
    cmd = [*qualcode, "--db", str(db), "agreement", "--coders", "alice", "bob", "--json"]
    everything = measure([*cmd, "--all"])
    limited = measure(cmd)
    total = json.loads(limited["stdout"].rsplit('"disagreements_total": ', 1)[1].split("}")[0])
    print(f"  agreement --json --all (anchor): {everything['wall']:6.2f} s  peak RSS "
          f"{everything['rss_mb']:5.0f} MB  ({total:,} disagreements listed)")
    print(f"  agreement --json (first 100):    {limited['wall']:6.2f} s  peak RSS "
          f"{limited['rss_mb']:5.0f} MB  ({total:,} counted)")
    db.unlink()


def _set_hashes_and_history(db: Path, segments: int) -> None:
    """Text hashes as ingest writes them (so `check` finds nothing to report), and a history
    whose oldest entry carries a large undo payload."""
    import hashlib

    def sha(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN")
    texts = dict(conn.execute("SELECT id, text FROM document"))
    conn.executemany("UPDATE document SET text_hash = ? WHERE id = ?",
                     [(sha(t), i) for i, t in texts.items()])
    conn.executemany("UPDATE segment SET text_hash = ? WHERE id = ?", [
        (sha(texts[d][s:e]), i)
        for i, d, s, e in conn.execute('SELECT id, document_id, start, "end" FROM segment')])
    payload = json.dumps({"ops": [{"op": "insert", "table": "coding", "row": {
        "id": i, "code_id": 1, "document_id": 1, "start": 0, "end": 10, "coder_id": 1}}
        for i in range(segments)], "by": "alice"})
    rows = [("2026-11-20 10:00:00.000000", "alice", "qualcode code import big.csv",
             "code-import", f"import {segments} codings", payload, 0)]
    rows += [(f"2026-11-21 10:{k:02d}:00.000000", "bob", "qualcode code apply", "code-apply",
              f"apply Thème {k % 30 + 1}", json.dumps({"ops": [], "by": "bob"}), 0)
             for k in range(49)]
    conn.executemany("INSERT INTO audit (at, coder, command, action, summary, payload, undone) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    conn.close()


# --- import qdpx ------------------------------------------------------------------------------

QDPX_USERS = ("00000000-0000-4000-a000-000000000001", "00000000-0000-4000-a000-000000000002")


def _qdpx_guid(kind: int, n: int) -> str:
    return f"00000000-0000-4{kind:03d}-8000-{n:012d}"


def qdpx_rows(segments: int):  # noqa: ANN201
    """(document, paragraph start, selection start, end, code, user index) per paragraph: the
    same sequence for the project file and for the executemany anchor."""
    seg_len = len(PHRASE)
    for i in range(segments):
        d, n = i // PER_DOC + 1, i % PER_DOC + 1
        seg_start = (n - 1) * (seg_len + 2)
        span = i % SPAN_EVERY == SPAN_EVERY - 1
        start, end = (seg_start + 3, seg_start + 40) if span else (seg_start, seg_start + seg_len)
        yield d, seg_start, start, end, i % CODES + 1, i % 2


def qdpx_text() -> str:
    return "\n\n".join([PHRASE] * PER_DOC)


def write_qdpx(path: Path, segments: int) -> None:
    """The project, written as a stream (the XML of 1M selections is never a whole string)."""
    import zipfile

    docs = segments // PER_DOC
    text = qdpx_text().encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        # Stored, not deflated: 1M identical-looking selections compress beyond the ratio the
        # zip guard accepts (a real project's XML does not).
        info = zipfile.ZipInfo("project.qde", date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED
        with zf.open(info, "w", force_zip64=True) as raw:
            def w(s: str) -> None:
                raw.write(s.encode())
            w('<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0" '
              'name="bench" origin="bench_bulk"><Users>')
            for k, user in enumerate(QDPX_USERS):
                w(f'<User guid="{user}" name="{("alice", "bob")[k]}"/>')
            w("</Users><CodeBook><Codes>")
            for c in range(1, CODES + 1):
                w(f'<Code guid="{_qdpx_guid(1, c)}" name="Thème {c}" isCodable="true"/>')
            w("</Codes></CodeBook><Sources>")
            current = 0
            for i, (d, _seg, start, end, code, user) in enumerate(qdpx_rows(segments)):
                if d != current:
                    if current:
                        w("</TextSource>")
                    current = d
                    w(f'<TextSource guid="{_qdpx_guid(2, d)}" name="doc_{d:06d}.txt" '
                      f'plainTextPath="internal://{_qdpx_guid(2, d)}.txt">')
                w(f'<PlainTextSelection guid="{_qdpx_guid(3, i)}" startPosition="{start}" '
                  f'endPosition="{end}" creatingUser="{QDPX_USERS[user]}">'
                  f'<Coding guid="{_qdpx_guid(4, i)}" creatingUser="{QDPX_USERS[user]}">'
                  f'<CodeRef targetGUID="{_qdpx_guid(1, code)}"/></Coding>'
                  "</PlainTextSelection>")
            if current:
                w("</TextSource>")
            w("</Sources></Project>\n")
        for d in range(1, docs + 1):
            zf.writestr(f"sources/{_qdpx_guid(2, d)}.txt", text)


def parse_floor(qdpx: Path) -> None:
    """What any import must do: unzip, parse the XML (defusedxml), decode every text."""
    import zipfile

    import defusedxml.ElementTree as DET

    with zipfile.ZipFile(qdpx) as zf:
        root = DET.fromstring(zf.read("project.qde"))
        texts = [zf.read(n).decode("utf-8") for n in zf.namelist() if n.startswith("sources/")]
    print(json.dumps({"elements": sum(1 for _ in root.iter()), "texts": len(texts)}))


def qdpx_anchor(db: Path, segments: int) -> None:
    """A plain executemany of the rows the import writes (documents, segments, codings) into
    an empty corpus, one transaction, qualcode's settings."""
    import hashlib
    import uuid
    from datetime import UTC, datetime

    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    text = qdpx_text()
    seg_len = len(PHRASE)
    digest = hashlib.sha256(text.encode()).hexdigest()
    seg_hash = hashlib.sha256(PHRASE.encode()).hexdigest()
    docs = segments // PER_DOC
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO coder (id, name, guid) VALUES (?, ?, ?)",
                     [(k + 1, name, QDPX_USERS[k]) for k, name in enumerate(("alice", "bob"))])
    conn.executemany(
        "INSERT INTO code (id, name, norm_name, parent_id, description, inclusion, exclusion, "
        "examples, keywords, is_codable, position, guid) "
        "VALUES (?, ?, ?, NULL, '', '', '', '[]', '[]', 1, ?, ?)",
        [(c, f"Thème {c}", f"thème {c}", c, _qdpx_guid(1, c)) for c in range(1, CODES + 1)])
    conn.executemany(
        "INSERT INTO document (id, name, kind, source_path, format, encoding, text, text_hash, "
        "content_hash, words, meta, guid, created_at) "
        "VALUES (?, ?, 'document', '', 'refi', 'utf-8', ?, ?, '', 0, '{}', ?, ?)",
        ((d, f"doc_{d:06d}.txt", text, digest, _qdpx_guid(2, d), now)
         for d in range(1, docs + 1)))
    conn.executemany(
        'INSERT INTO segment (id, document_id, n, start, "end", speaker, is_interviewer, '
        "agent_id, text_hash) VALUES (?, ?, ?, ?, ?, NULL, 0, NULL, ?)",
        ((i + 1, d, i % PER_DOC + 1, seg, seg + seg_len, seg_hash)
         for i, (d, seg, *_rest) in enumerate(qdpx_rows(segments))))
    conn.executemany(
        'INSERT INTO coding (code_id, document_id, segment_id, start, "end", coder_id, origin, '
        "guid, created_at) VALUES (?, ?, ?, ?, ?, ?, 'refi', ?, ?)",
        ((code, d, i + 1, start, end, user + 1, str(uuid.uuid4()), now)
         for i, (d, _seg, start, end, code, user) in enumerate(qdpx_rows(segments))))
    conn.execute("COMMIT")
    conn.close()


ANCHOR_CHECK = """import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("PRAGMA integrity_check").fetchall(),
      len(c.execute("PRAGMA foreign_key_check").fetchall()))
"""
ANCHOR_HISTORY = """import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(len(c.execute("SELECT id, at, coder, action, summary, command, undone FROM audit "
                    "ORDER BY id DESC LIMIT 20").fetchall()))
"""
# the segments of a code or its sub-codes whose agents have profil=social, with their text;
# codings are bounded by the longest one, so that the span index answers each segment
ANCHOR_SEGMENTS = """import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rows = c.execute(
    'SELECT d.name, s.n, substr(d.text, s.start + 1, s."end" - s.start) FROM segment s '
    'JOIN document d ON d.id = s.document_id '
    'WHERE EXISTS (SELECT 1 FROM coding k JOIN code x ON x.id = k.code_id '
    '  WHERE k.document_id = s.document_id AND k.start < s."end" AND k."end" > s.start '
    '  AND k.start >= s.start - (SELECT max("end" - start) FROM coding) '
    '  AND (x.name = ? OR x.parent_id = (SELECT id FROM code WHERE name = ?))) '
    'AND ((s.speaker IS NULL AND EXISTS (SELECT 1 FROM document_agent da '
    '      JOIN agent_attribute a ON a.agent_id = da.agent_id '
    '      WHERE da.document_id = s.document_id AND a.key = ? AND a.value = ?)) '
    '  OR (s.speaker IS NOT NULL AND NOT s.is_interviewer AND EXISTS (SELECT 1 '
    '      FROM agent_attribute a WHERE a.agent_id = s.agent_id AND a.key = ? '
    '      AND a.value = ?))) '
    'ORDER BY d.name, s.n', ("Thème 3", "Thème 3", "profil", "social", "profil", "social"),
).fetchall()
print(len(rows))
"""
ANCHOR_SHOW = """import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
doc_id, text = c.execute("SELECT id, text FROM document WHERE name = ?",
                         (sys.argv[2],)).fetchone()
rows = c.execute(
    'SELECT s.n, substr(d.text, s.start + 1, s."end" - s.start), x.name FROM segment s '
    'JOIN document d ON d.id = s.document_id LEFT JOIN coding k ON '
    'k.document_id = s.document_id AND k.start < s."end" AND k."end" > s.start '
    'LEFT JOIN code x ON x.id = k.code_id WHERE s.document_id = ? ORDER BY s.n',
    (doc_id,)).fetchall()
print(len(rows))
"""


def run_reads(tmp: Path, segments: int) -> None:
    from bench_cooccurrence import build as build_cooc

    db = tmp / f"reads_{segments}.db"
    t0 = time.perf_counter()
    build_cooc(db, segments=segments, codings=2 * segments, docs=max(1, segments // PER_DOC),
               agents=200)
    _set_hashes_and_history(db, segments)
    print(f"\n{segments:,} segments, {2 * segments:,} codings, 200 agents: corpus "
          f"{db.stat().st_size / 1e6:.0f} MB built in {time.perf_counter() - t0:.1f} s")
    exe = Path(sys.executable).parent / "qualcode"
    qualcode = [str(exe)] if exe.exists() else [sys.executable, "-m", "qualcode"]
    q = [*qualcode, "--db", str(db)]
    py = sys.executable
    nothing = measure([py, "-c", "pass"])
    print(f"  {'python -c pass':32s}  {nothing['wall']:6.2f} s  peak RSS "
          f"{nothing['rss_mb']:5.0f} MB")
    doc = "doc_00002.txt"
    segments_cmd = [*q, "segments", "--code", "Thème 3", "--where", "profil=social", "--json"]
    cases = [
        ("check", [*q, "check", "--json"], "integrity pragmas",
         [py, "-c", ANCHOR_CHECK, str(db)], "<= 2x"),
        ("history", [*q, "history"], "query of its 20 rows",
         [py, "-c", ANCHOR_HISTORY, str(db)], "constant in size"),
        ("segments --code --where", segments_cmd, "one SQL query",
         [py, "-c", ANCHOR_SEGMENTS, str(db)], "<= 2x"),
        ("docs show DOC", [*q, "docs", "show", doc, "--json"], "its query",
         [py, "-c", ANCHOR_SHOW, str(db), doc], "close"),
    ]
    for name, cmd, anchor_name, anchor_cmd, target in cases:
        a = measure(anchor_cmd)
        r = measure(cmd)
        detail = ""
        if cmd is segments_cmd:
            listed = len(json.loads(subprocess.run(cmd, check=True, capture_output=True,
                                                   text=True).stdout))
            detail = f"  ({listed:,} segments, the query {int(a['stdout']):,})"
        print(f"  {anchor_name + ' (anchor)':32s}  {a['wall']:6.2f} s  CPU {a['cpu']:5.2f} s  "
              f"peak RSS {a['rss_mb']:5.0f} MB")
        print(f"  {'qualcode ' + name:32s}  {r['wall']:6.2f} s  CPU {r['cpu']:5.2f} s  "
              f"peak RSS {r['rss_mb']:5.0f} MB   {r['wall'] / a['wall']:.2f}x the anchor "
              f"(CPU {r['cpu'] / a['cpu']:.2f}x)   target {target}{detail}")
    _backup_formats(db, tmp)
    db.unlink()
    for extra in tmp.glob("*.db-*"):
        extra.unlink()


def run_qdpx(tmp: Path, segments: int) -> None:
    from qualcode.db import open_db

    qdpx = tmp / f"project_{segments}.qdpx"
    t0 = time.perf_counter()
    write_qdpx(qdpx, segments)
    empty = tmp / "empty.db"
    open_db(str(empty)).engine.dispose()
    print(f"\n{segments:,} segments: project {qdpx.stat().st_size / 1e6:.1f} MB (zip) written "
          f"in {time.perf_counter() - t0:.1f} s")
    exe = Path(sys.executable).parent / "qualcode"
    qualcode = [str(exe)] if exe.exists() else [sys.executable, "-m", "qualcode"]
    floor = measure([sys.executable, __file__, "--parse-floor", str(qdpx)])
    anchor_db = tmp / "anchor.db"
    shutil.copy(empty, anchor_db)
    a = measure([sys.executable, __file__, "--qdpx-anchor", str(anchor_db), str(segments)])
    anchored = count_codings(anchor_db)
    import_db = tmp / "import.db"
    shutil.copy(empty, import_db)
    r = measure([*qualcode, "--db", str(import_db), "import", "qdpx", str(qdpx)])
    imported = count_codings(import_db)
    with sqlite3.connect(import_db) as conn:
        documents = conn.execute("SELECT count(*) FROM document").fetchone()[0]
    u = measure([*qualcode, "--db", str(import_db), "undo", "--any"])
    left = count_codings(import_db)
    def line(label: str, m: dict[str, float], note: str = "") -> None:
        print(f"  {label:28s} {m['wall']:6.2f} s (cpu {m['cpu']:6.2f} s)  peak RSS "
              f"{m['rss_mb']:5.0f} MB{note}")

    line("unzip + parse (floor):", floor)
    line("plain executemany (anchor):", a, f"  ({anchored:,} codings)")
    line("qualcode import qdpx:", r, f"  ({imported:,} codings, {documents:,} documents)  "
         f"{r['wall'] / floor['wall']:.1f}x the floor, {r['wall'] / a['wall']:.2f}x the "
         f"executemany (cpu {r['cpu'] / floor['cpu']:.1f}x, {r['cpu'] / a['cpu']:.2f}x)")
    line("qualcode undo of it:", u, f"  ({left:,} codings left)")
    if imported != anchored:
        print(f"  note: the import wrote {imported:,} codings, the anchor {anchored:,}")
    for path in (qdpx, empty, anchor_db, import_db):
        path.unlink()
    shutil.rmtree(tmp / "import.db.backups", ignore_errors=True)
    for extra in tmp.glob("*.db-*"):
        extra.unlink()


def _backup_formats(db: Path, tmp: Path) -> None:
    """The automatic backup's choices on this corpus: SQLite's online backup alone, then
    compressed with gzip (levels 1 and 6) or lzma (preset 0); CPU seconds and size."""
    import gzip
    import lzma

    copy = tmp / "copy.db"
    t0, c0 = time.perf_counter(), time.process_time()
    src, dst = sqlite3.connect(db), sqlite3.connect(copy)
    src.backup(dst)
    dst.close()
    src.close()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    size = copy.stat().st_size
    print(f"  backup: online copy {size / 1e6:.0f} MB in {wall:.2f} s (CPU {cpu:.2f} s)")
    packers = [("gzip -1 (qualcode)", gzip.open, {"compresslevel": 1}),
               ("gzip -6", gzip.open, {"compresslevel": 6}),
               ("lzma -0", lzma.open, {"preset": 0})]
    for name, opener, options in packers:
        packed = tmp / "copy.db.packed"
        t0, c0 = time.perf_counter(), time.process_time()
        with copy.open("rb") as raw, opener(packed, "wb", **options) as out:
            shutil.copyfileobj(raw, out, 1 << 20)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"    + {name:18s} {packed.stat().st_size / 1e6:6.1f} MB "
              f"({size / packed.stat().st_size:.1f}x smaller) in {wall:.2f} s (CPU {cpu:.2f} s)")
        packed.unlink()
    copy.unlink()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        _measure_child(sys.argv[3:])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--anchor":
        anchor(Path(sys.argv[2]), int(sys.argv[3]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--parse-floor":
        parse_floor(Path(sys.argv[2]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--qdpx-anchor":
        qdpx_anchor(Path(sys.argv[2]), int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000],
                        help="numbers of segments (rounded down to a multiple of 100)")
    parser.add_argument("--dir", type=Path, help="work folder (a temporary one by default)")
    parser.add_argument("--agreement", action="store_true",
                        help="measure `agreement --json` instead of `code import`")
    parser.add_argument("--reads", action="store_true",
                        help="measure `check`, `history`, `segments`, `docs show`")
    parser.add_argument("--qdpx", action="store_true",
                        help="measure `import qdpx` instead of `code import`")
    args = parser.parse_args()
    tmp = Path(args.dir or tempfile.mkdtemp(prefix="qualcode-bulk-"))
    tmp.mkdir(parents=True, exist_ok=True)
    print(f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    for size in args.sizes:
        if args.agreement:
            run_agreement(tmp, size)
        elif args.reads:
            run_reads(tmp, size - size % PER_DOC)
        elif args.qdpx:
            run_qdpx(tmp, size - size % PER_DOC)
        else:
            run_size(tmp, size - size % PER_DOC)
    if not args.dir:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
