"""Hostile and broken input: the tool's own clear error or a correct result, never a crash,
and nothing changed in the corpus when the input is refused."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from qualcode import models
from qualcode.codebook.qdc import read_qdc_bytes
from qualcode.coding.csvio import import_codings_csv
from qualcode.corpus.agents import read_agents_csv
from qualcode.errors import InvalidInput

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

cells = st.one_of(
    st.text(alphabet=string.printable + "éèàçœ’«»\u00a0\x00", max_size=12),
    st.sampled_from(["entretien.txt", "1", "2", "99", "-1", "0", "discrédit", "Discrédit",
                     "inconnu", "=cmd|' /C calc'!A0", "", "3:9", "1e3"]),
)
csv_lines = st.lists(st.lists(cells, min_size=0, max_size=6), max_size=8)
headers = st.sampled_from([
    "document,segment,code,coder", "document,start,end,code,coder", "document;segment;code",
    "doc,seg,code", "", "document,segment,code,coder,extra",
])


def _corpus(make_doc, db) -> None:
    """Built once per test function (hypothesis reuses function-scoped fixtures)."""
    with db.session() as s:
        if s.scalar(select(func.count()).select_from(models.Document)):
            return
    make_doc("entretien.txt", [("E", "Et alors ?"), ("Hélène", "On nous regarde de travers.")])
    with db.session(write=True) as s:
        s.add(models.Code(name="discrédit", norm_name="discrédit"))


def _codings(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(models.Coding))


@FUZZ
@given(header=headers, rows=csv_lines, separator=st.sampled_from([",", ";"]),
       encoding=st.sampled_from(["utf-8", "cp1252", "utf-16"]))
def test_code_import_fuzz_never_crashes_and_all_or_nothing(make_doc, db, tmp_path, header,
                                                           rows, separator, encoding):
    _corpus(make_doc, db)
    text = header + "\n" + "\n".join(separator.join(r) for r in rows) + "\n"
    path = tmp_path / "fuzz.csv"
    path.write_bytes(text.encode(encoding, errors="replace"))
    before = _codings(db)
    try:
        with db.session(write=True) as s:
            report = import_codings_csv(s, path, default_coder="ana")
    except InvalidInput as exc:  # bad input is a clear one-line refusal, never a crash
        assert "\n" not in str(exc)
        assert _codings(db) == before
    else:
        # Every planned row is added or reported as a duplicate, and only those are added.
        assert report["added"] + report["skipped_duplicates"] == report["rows"]
        assert _codings(db) == before + report["added"]
        assert report["rows"] <= len(rows)


valid_coders = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèçÉ -", min_size=0, max_size=8)
valid_places = st.one_of(st.sampled_from(["1", "2", " 2 "]).map(lambda n: ("seg", n)),
                         st.tuples(st.integers(0, 20), st.integers(1, 20)).filter(
                             lambda t: t[0] < t[1]).map(lambda t: ("span", t)))


@FUZZ
@given(rows=st.lists(st.tuples(valid_places, st.sampled_from(["discrédit", "Discrédit",
                                                              " DISCREDIT "]), valid_coders),
                     min_size=1, max_size=8),
       spans=st.booleans(), separator=st.sampled_from([",", ";"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
def test_code_import_fuzz_valid_rows_are_all_imported(make_doc, db, tmp_path, rows, spans,
                                                      separator, encoding):
    """Good input is never refused: every row naming a real document, segment or span, code
    (any case or accents) and coder is imported, once per distinct coding."""
    import csv
    import io

    from qualcode.models import Coder, Coding

    _corpus(make_doc, db)
    with db.session() as s:  # plain values: the rows expire when the session ends
        doc = s.scalar(select(models.Document))
        doc_name, doc_len = doc.name, len(doc.text)
        segments = sorted((g.n, g.start, g.end) for g in s.scalars(select(
            models.Segment).where(models.Segment.document_id == doc.id)))
        existing = set(s.execute(select(Coding.start, Coding.end, Coder.name).join(
            Coder, Coder.id == Coding.coder_id)).all())
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=separator, lineterminator="\n")
    writer.writerow(["document", "start", "end", "code", "coder"] if spans
                    else ["document", "segment", "code", "coder"])
    expected = set()
    for (kind, place), code, coder in rows:
        if kind == "seg":
            seg_n, start, end = segments[int(place) - 1]
        else:
            seg_n = None
            start, end = min(place[0], doc_len - 1), min(place[1], doc_len)
            if start >= end:
                start, end = 0, 1
        name = " ".join(coder.split()) or "ana"
        if spans:
            writer.writerow([doc_name, start, end, code, coder])
        elif seg_n is not None:
            writer.writerow([doc_name, place, code, coder])
        else:
            continue
        expected.add((start, end, name))
    path = tmp_path / "valid.csv"
    path.write_bytes(buf.getvalue().encode(encoding))
    before = _codings(db)
    with db.session(write=True) as s:
        report = import_codings_csv(s, path, default_coder="ana")
    assert report["added"] == len(expected - existing)
    assert _codings(db) == before + len(expected - existing)


@FUZZ
@given(data=st.binary(max_size=300))
def test_agents_csv_fuzz_bytes(tmp_path, data):
    path = tmp_path / "agents.csv"
    path.write_bytes(data)
    try:
        rows = read_agents_csv(path)
    except InvalidInput as exc:
        assert "\n" not in str(exc)
        return
    for name, attrs in rows:
        assert name.strip() and isinstance(attrs, dict)


xml_fragments = st.lists(st.sampled_from([
    "<?xml version='1.0' encoding='utf-8'?>", "<CodeBook xmlns='urn:QDA-XML:codebook:1.0'>",
    "<Codes>", "</Codes>", "<Code guid='{ABC}' name='perte de sens' isCodable='true'>",
    "<Code name='sans guid'>", "</Code>", "<Description>déf &amp; co</Description>",
    "<Sets/>", "</CodeBook>", "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>", "&e;",
    "<Code guid='x' name=''>", "\x00", "é", "<Set name='groupe'><MemberCode guid='abc'/></Set>",
]), max_size=14)


@FUZZ
@given(parts=xml_fragments)
def test_qdc_reader_fuzz_never_crashes(parts):
    try:
        book = read_qdc_bytes("".join(parts).encode("utf-8"))
    except InvalidInput as exc:
        assert "\n" not in str(exc)
        return
    for code, _parent in book.walk():
        assert code.name


def test_ingest_refuses_nul_bytes_and_changes_nothing(cli, tmp_path):
    cli.ok("init")
    bad = tmp_path / "notes.txt"
    bad.write_bytes(b"Une ligne.\n" + b"\x00\x01\x02" * 50)
    result = cli("ingest", bad)
    assert result.exit_code == 1
    assert "notes.txt" in result.stderr
    assert cli.json("docs", "list") == []


def test_invalid_utf8_with_surrogate_bytes_is_read_without_crash(cli, tmp_path):
    weird = tmp_path / "bizarre.txt"
    weird.write_bytes(b"Premier paragraphe \xed\xa0\x80 et suite.\n\nSecond paragraphe.\n")
    result = cli("ingest", weird, "--json")
    assert result.exit_code == 0, result.stderr
    doc = cli.json("docs", "show", "bizarre.txt")
    assert len(doc["segments"]) == 2
    assert all(not ("\ud800" <= ch <= "\udfff") for ch in doc["text"])


def test_very_long_line_is_one_paragraph(cli, tmp_path):
    long_file = tmp_path / "long.txt"
    long_file.write_text("mot " * 300_000, encoding="utf-8")
    cli.ok("ingest", long_file)
    (doc,) = cli.json("docs", "list")
    assert doc["segments"] == 1 and doc["words"] == 300_000


def test_names_with_slashes_and_dots_stay_names(cli, tmp_path, make_doc):
    make_doc("obs.txt", [(None, "Le guichet ouvre.")], kind="observation")
    cli.ok("codebook", "add", "../../etc/passwd")
    names = [c["name"] for c in cli.json("codebook", "show")]
    assert "../../etc/passwd" in names
    out = tmp_path / "livre.yaml"
    cli.ok("codebook", "export", out)
    assert out.exists() and not (tmp_path.parent / "etc").exists()


# A code name cannot start with a tab (names are stripped); segment text can.
FORMULAS = ["=HYPERLINK(\"http://x\")", "+1+cmd", "-2+cmd|' /C calc'!A0", "@SUM(A1)", "=a,b"]


def _formula_corpus(cli, make_doc, tmp_path) -> None:  # noqa: ANN001
    make_doc("formules.txt", [(None, "\t=cmd|' /C calc'!A0 et la suite")], kind="observation",
             agents=("Hélène",))
    agents = tmp_path / "agents.csv"
    agents.write_text('name,profil\nHélène,"-1+cmd,x"\n', encoding="utf-8")
    cli.ok("agents", "import", agents)
    for name in FORMULAS:
        cli.ok("codebook", "add", "--", name)  # `--`: a leading `-` is a name, not an option
        cli.ok("code", "apply", "formules.txt:1", "--", name)


def _is_live_formula(cell: object) -> bool:
    return isinstance(cell, str) and cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_formula_payloads_are_neutralised_in_csv_exports(cli, make_doc, tmp_path):
    """Every formula start (= + - @ tab), in a value holding a comma too: read back with a
    real CSV reader, no cell starts a formula, and each payload is still there, quoted."""
    import csv

    _formula_corpus(cli, make_doc, tmp_path)
    out = tmp_path / "codings.csv"
    cli.ok("code", "export", out)
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if _is_live_formula(c)]
    codes = sorted(row[rows[0].index("code")] for row in rows[1:])
    assert codes == sorted("'" + name for name in FORMULAS)
    cli.ok("undo", "--any", "-n", str(2 * len(FORMULAS)))  # the codings and the codes
    for name in FORMULAS:
        cli.ok("codebook", "add", "--", name)
    cli.ok("code", "import", out)  # and the neutralised file imports back as it was
    assert sorted(r["code"] for r in _codings_of(cli)) == sorted(FORMULAS)


def _codings_of(cli):  # noqa: ANN001, ANN202
    return [{"code": c} for seg in cli.json("segments") for c in seg["codes"]]


def test_formula_payloads_are_neutralised_in_xlsx_and_csv_tables(cli, make_doc, tmp_path):
    import csv

    import openpyxl

    _formula_corpus(cli, make_doc, tmp_path)
    xlsx = tmp_path / "t.xlsx"
    cli.ok("cooccurrence", "--by", "profil", "--unit", "document", "-o", xlsx)
    cells = [c for ws in openpyxl.load_workbook(xlsx).worksheets
             for row in ws.iter_rows(values_only=True) for c in row]
    assert not [c for c in cells if _is_live_formula(c)]
    assert "'=HYPERLINK(\"http://x\")" in cells
    table = tmp_path / "t.csv"
    cli.ok("cooccurrence", "--by", "profil", "--unit", "document", "-o", table)
    with table.open(encoding="utf-8", newline="") as f:
        cells = [c for row in csv.reader(f) for c in row]
    assert not [c for c in cells if _is_live_formula(c)]
    assert "'-2+cmd|' /C calc'!A0" in cells
    excerpts = tmp_path / "extraits.csv"  # segment text, starting with a tab
    cli.ok("segments", "--format", "csv", "-o", excerpts)
    with excerpts.open(encoding="utf-8", newline="") as f:
        cells = [c for row in csv.reader(f) for c in row]
    assert not [c for c in cells if _is_live_formula(c)]
    assert any(c.startswith("'-1+cmd,x") for c in cells)


def test_csv_export_path_is_the_users_choice(tmp_path: Path):
    # Writing outside the current folder is allowed (the user names the file), but a missing
    # folder is a clear error rather than a traceback.
    from typer.testing import CliRunner

    from qualcode.cli.main import app

    db = tmp_path / "c.db"
    runner = CliRunner()
    assert runner.invoke(app, ["--db", str(db), "init"]).exit_code == 0
    result = runner.invoke(app, ["--db", str(db), "code", "export",
                                 str(tmp_path / "absent" / "x.csv")])
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr


def test_a_200_mb_file_is_refused_before_it_is_read(cli, tmp_path):
    import resource

    huge = tmp_path / "enorme.txt"
    with huge.open("wb") as f:  # sparse: 200 MB on paper, nothing on disk
        f.truncate(200 * 1024 * 1024)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = cli("ingest", huge)
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert result.exit_code == 1
    assert "enorme.txt is 200 MB" in result.stderr and "split it" in result.stderr
    assert peak_after - peak_before < 50 * 1024  # KiB: the file was never loaded
    assert cli.json("docs", "list") == []


# --- zips: .docx, .odt, .qdpx ------------------------------------------------------------------

def _office_file(tmp_path: Path, name: str, text: str = "Premier paragraphe.") -> Path:
    """A real .docx (python-docx) or .odt (odfpy) holding one paragraph."""
    path = tmp_path / name
    if name.endswith(".docx"):
        import docx

        document = docx.Document()
        document.add_paragraph(text)
        document.save(path)
    else:
        from odf.opendocument import OpenDocumentText
        from odf.text import P

        document = OpenDocumentText()
        document.text.addElement(P(text=text))
        document.save(str(path))
    return path


def _rewrite_zip(path: Path, entry: str, write) -> Path:  # noqa: ANN001
    """Copy ``path`` with ``entry`` replaced by what ``write(stream)`` writes (streamed, so a
    huge entry never sits in the test's memory)."""
    import zipfile

    out = path.with_name("x" + path.name)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != entry:
                dst.writestr(info, src.read(info))
        with dst.open(entry, "w", force_zip64=True) as stream:
            write(stream)
    out.replace(path)
    return path


def _one_error_line(result) -> str:  # noqa: ANN001
    assert result.exit_code == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def _peak_kib() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _main_part(name: str) -> str:
    return "word/document.xml" if name.endswith(".docx") else "content.xml"


@pytest.mark.parametrize("name", ["bombe.docx", "bombe.odt"])
def test_office_zip_bomb_is_refused_before_it_is_inflated(cli, tmp_path, name):
    """The issue's bomb, smaller: a main part declaring 100 MB (over 64 MB) from a few
    hundred KB of zip; refused from the zip's directory, in well under a second."""
    import time

    path = _office_file(tmp_path, name)
    para = (b"<w:p><w:r><w:t>bla</w:t></w:r></w:p>" if name.endswith(".docx")
            else b"<text:p>bla</text:p>") * 10_000

    def write(stream) -> None:  # noqa: ANN001
        for _ in range(100 * 1024**2 // len(para) + 1):
            stream.write(para)

    _rewrite_zip(path, _main_part(name), write)
    assert path.stat().st_size < 1024**2
    cli.ok("init")
    peak, start = _peak_kib(), time.monotonic()
    line = _one_error_line(cli("ingest", path))
    assert time.monotonic() - start < 5
    assert _peak_kib() - peak < 50 * 1024  # KiB: nothing was inflated
    assert name in line and "zip bomb" in line
    assert cli.json("docs", "list") == []


@pytest.mark.parametrize("name", ["bombe.docx", "bombe.odt"])
def test_office_entry_inflating_too_much_is_refused(cli, tmp_path, name):
    """Under the size limit but compressed 1000:1: no word processor writes that."""
    path = _office_file(tmp_path, name)
    _rewrite_zip(path, "bourrage.xml", lambda stream: stream.write(b" " * 8 * 1024**2))
    line = _one_error_line(cli("ingest", path))
    assert "bourrage.xml" in line and "compressed more than" in line
    assert cli.json("docs", "list") == []


@pytest.mark.parametrize("name", ["entite.docx", "entite.odt"])
def test_office_xml_with_external_entity_is_refused(cli, tmp_path, name):
    secret = tmp_path / "secret.txt"
    secret.write_text("mot de passe")
    path = _office_file(tmp_path, name, "Bonjour SECRET fin.")
    import zipfile

    part = _main_part(name)
    with zipfile.ZipFile(path) as zf:
        xml = zf.read(part).decode("utf-8")
    root = xml[xml.index("<", xml.index("?>")) + 1:].split()[0]
    doctype = f'<!DOCTYPE {root} [<!ENTITY x SYSTEM "file://{secret}">]>'
    xml = xml.replace("?>", "?>" + doctype, 1).replace("SECRET", "&x;")
    _rewrite_zip(path, part, lambda stream: stream.write(xml.encode("utf-8")))
    line = _one_error_line(cli("ingest", path))
    assert f"{name}: {part} declares a DTD or XML entities" in line
    assert "mot de passe" not in line
    assert cli.json("docs", "list") == []


def test_office_file_without_entities_still_reads(cli, tmp_path):
    """The checks refuse hostile files only: plain files, and .docx text quoting '<!DOCTYPE'
    (escaped in XML), are read as before."""
    for name in ("ok.docx", "ok.odt"):
        _office_file(tmp_path, name, "Il écrit <!DOCTYPE html> au tableau.")
    cli.ok("ingest", tmp_path / "ok.docx", tmp_path / "ok.odt")
    for name in ("ok.docx", "ok.odt"):
        assert "<!DOCTYPE html>" in cli.json("docs", "show", name)["text"]


def test_ten_gigabyte_qdpx_is_refused_without_reading_it(cli, tmp_path):
    import time

    huge = tmp_path / "x.qdpx"
    with huge.open("wb") as f:  # sparse: 10 GB on paper
        f.truncate(10 * 1024**3)
    cli.ok("init")
    peak, start = _peak_kib(), time.monotonic()
    line = _one_error_line(cli("import", "qdpx", huge))
    assert time.monotonic() - start < 5
    assert _peak_kib() - peak < 50 * 1024
    assert "x.qdpx is not a zip archive" in line
    assert cli.json("docs", "list") == []


# --- databases that are not qualcode corpora ----------------------------------------------------

def _run(db: Path, *args: str):  # noqa: ANN202
    from typer.testing import CliRunner

    from qualcode.cli.main import app

    return CliRunner().invoke(app, ["--db", str(db), *map(str, args)])


def _commands(tmp_path: Path) -> list[tuple[str, ...]]:
    notes = tmp_path / "notes.txt"
    notes.write_text("Le guichet ouvre à huit heures.\n", encoding="utf-8")
    book = Path(__file__).resolve().parent.parent / "codebooks" / "guichet.yaml"
    return [("docs", "list"), ("check",), ("history",), ("segments",), ("init",),
            ("ingest", str(notes)), ("codebook", "import", str(book))]


def _files_beside(db: Path) -> set[str]:
    return {p.name for p in db.parent.iterdir() if p.name.startswith(db.name)}


@pytest.mark.sqlite_only
@pytest.mark.parametrize("wal", [False, True])
def test_foreign_sqlite_file_is_refused_and_never_written(tmp_path, wal):
    """Another program's database (here with a `code` table, like qualcode's) is neither read
    as a corpus nor converted into one, by any command: its bytes stay the same."""
    import sqlite3

    db = tmp_path / "firefox.db"
    conn = sqlite3.connect(db)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE code (id INTEGER PRIMARY KEY, url TEXT)")
    conn.execute("INSERT INTO code (url) VALUES ('https://example.org')")
    conn.commit()
    conn.close()
    before, files = db.read_bytes(), _files_beside(db)
    for args in _commands(tmp_path):
        line = _one_error_line(_run(db, *args))
        assert f"{db} is not a qualcode corpus (it holds other tables: code)" in line, args
    assert db.read_bytes() == before and _files_beside(db) == files


@pytest.mark.sqlite_only
def test_zero_byte_file_becomes_a_corpus_only_when_asked(tmp_path):
    db = tmp_path / "vide.db"
    db.touch()
    for args in [("docs", "list"), ("check",), ("history",), ("undo",)]:
        line = _one_error_line(_run(db, *args))
        assert f"{db} is empty, not a qualcode corpus" in line and "qualcode init" in line
    assert db.stat().st_size == 0
    assert _run(db, "init").exit_code == 0
    assert _run(db, "docs", "list", "--json").stdout.strip() == "[]"


@pytest.mark.sqlite_only
def test_corpus_with_an_empty_schema_version_is_one_line(tmp_path):
    import sqlite3

    db = tmp_path / "abime.db"
    assert _run(db, "init").exit_code == 0
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM alembic_version")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    for args in [("docs", "list"), ("init",)]:
        line = _one_error_line(_run(db, *args))
        assert "empty schema version table" in line and "restore a backup" in line
    assert db.read_bytes() == before


# --- every error is one line, without SQL ------------------------------------------------------

def _sql_error(kind: str, driver_message: str):  # noqa: ANN202
    """An error as SQLAlchemy raises it: the statement, its parameters, a multi-line driver
    message and a link to SQLAlchemy's documentation."""
    from sqlalchemy import exc

    return getattr(exc, kind)(
        "INSERT INTO segment (document_id, text) VALUES (?, ?)",
        {"text": "on nous regarde de travers"}, Exception(driver_message))


@pytest.mark.parametrize(("kind", "driver_message", "expected"), [
    ("OperationalError", "terminating connection due to administrator command\n"
     "server closed the connection unexpectedly\n\tThis probably means the server terminated",
     "was lost during the command"),
    ("IntegrityError", "duplicate key value violates unique constraint \"x\"\nDETAIL: Key "
     "(text)=(on nous regarde de travers) already exists.",
     "unexpected IntegrityError: duplicate key value violates unique constraint"),
])
def test_database_failure_mid_command_is_one_line_without_sql(cli, tmp_path, monkeypatch,
                                                              kind, driver_message, expected):
    """A PostgreSQL crash or an unforeseen SQL error while storing: one line, no statement,
    nothing of the text being written."""
    from qualcode.corpus import ingest as ingest_service

    def broken(*_args, **_kwargs):  # noqa: ANN002, ANN003
        raise _sql_error(kind, driver_message)

    cli.ok("init")
    monkeypatch.setattr(ingest_service, "store", broken)
    notes = tmp_path / "notes.txt"
    notes.write_text("On nous regarde de travers.\n", encoding="utf-8")
    result = cli("ingest", notes)
    line = _one_error_line(result)
    assert line.startswith("Error: notes.txt: ") and expected in line
    for leak in ("INSERT", "SQL", "regarde", "sqlalche.me"):
        assert leak not in result.stderr

    from qualcode.codebook import service as codebook_service

    monkeypatch.setattr(codebook_service, "add_code", broken)
    line = _one_error_line(cli("codebook", "add", "autre"))
    assert expected in line and "INSERT" not in line and "regarde" not in line


# --- participants' words never appear in an error -------------------------------------------

def test_control_character_in_an_attribute_value_exports_to_xlsx(cli, make_doc, tmp_path):
    """openpyxl refuses control characters (and quoted the whole value in its error): they
    become U+FFFD, so the table is written and the value stays recognisable."""
    import openpyxl

    make_doc("e.txt", [("Hélène", "On nous regarde de travers.")], agents=("Hélène",))
    agents = tmp_path / "agents.csv"
    agents.write_bytes("name,profil\nHélène,prag\x01matique\n".encode())
    cli.ok("agents", "import", agents)
    cli.ok("codebook", "add", "attente")
    cli.ok("code", "apply", "e.txt:1", "attente")
    out = tmp_path / "t.xlsx"
    cli.ok("crosstab", "--by", "profil", "--format", "xlsx", "-o", out)
    cells = [c for row in openpyxl.load_workbook(out).worksheets[0].iter_rows(values_only=True)
             for c in row if isinstance(c, str)]
    assert "prag\ufffdmatique (n=1)" in cells


def test_control_character_in_a_segment_exports_to_docx(cli, make_doc, tmp_path):
    import docx

    make_doc("e.txt", [("Hélène", "On nous\x07 regarde.")])
    cli.ok("codebook", "add", "attente")
    cli.ok("code", "apply", "e.txt:1", "attente")
    out = tmp_path / "x.docx"
    cli.ok("segments", "--code", "attente", "--format", "docx", "-o", out)
    assert any("On nous\ufffd regarde." in p.text for p in docx.Document(out).paragraphs)


def test_unexpected_error_names_its_place_not_its_message():
    from qualcode.errors import describe_unexpected

    try:
        raise ValueError("On nous regarde de travers")  # a library quoting its input
    except ValueError as exc:
        described = describe_unexpected(exc)
    assert described.startswith("ValueError at an unknown place") or "qualcode/" in described
    assert "regarde" not in described


# --- names that look the same are the same person ---------------------------------------------

def test_coder_names_that_look_the_same_are_one_coder(cli, make_doc, db):
    """`Zoe` + combining accent (macOS keyboards, some terminals) and `Zoé` are one coder;
    so is a name with a zero-width space pasted from a chat."""
    from qualcode.models import Coder

    make_doc("e.txt", [("Hélène", "On attend."), ("Hélène", "Encore.")])
    cli.ok("codebook", "add", "attente")
    cli.ok("code", "apply", "e.txt:1", "attente", "--coder", "Zoe\u0301")
    cli.ok("code", "apply", "e.txt:2", "attente", "--coder", "Zo\u200bé")
    result = cli("code", "apply", "e.txt:1", "attente", "--coder", "Zoé")
    assert result.exit_code == 0 and "already" in (result.stdout + result.stderr).lower()
    rows = cli.json("segments", "--code", "attente", "--coder", "Zoé")
    assert [r["segment"] for r in rows] == [1, 2]
    with db.session() as s:
        assert [c.name for c in s.scalars(select(Coder))] == ["Zoé"]


def test_agent_name_with_a_zero_width_space_is_the_same_agent(cli, tmp_path):
    first = tmp_path / "a.csv"
    first.write_text("name,profil\nHélène,pragmatique\n", encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text("name,age\nHé\u200blène,50\n", encoding="utf-8")
    third = tmp_path / "c.csv"
    third.write_text("name,centre\nHe\u0301le\u0300ne\u2060,Nord\n", encoding="utf-8")
    for path in (first, second, third):
        cli.ok("agents", "import", path)
    assert cli.json("agents", "list") == [
        {"name": "Hélène", "attributes": {"age": "50", "centre": "Nord",
                                          "profil": "pragmatique"}}]


# --- minor hostile cases: deep nesting, odd names and encodings, big lines --------------------

@pytest.mark.parametrize("kind", ["qdc", "yaml"])
def test_codebook_nested_50000_deep_is_one_line(cli, tmp_path, kind):
    n = 50_000
    if kind == "qdc":
        path = tmp_path / "profond.qdc"
        path.write_text('<?xml version="1.0"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
                        + "".join(f'<Code name="c{i}" isCodable="true">' for i in range(n))
                        + "</Code>" * n + "</Codes></CodeBook>", encoding="utf-8")
    else:
        path = tmp_path / "profond.yaml"
        path.write_text("codes: " + "[{name: c, children: " * n + "[]" + "}]" * n + "\n",
                        encoding="utf-8")
    cli.ok("init")
    line = _one_error_line(cli("codebook", "import", path))
    assert "too deep" in line or "levels deep" in line
    assert "RecursionError" not in line
    assert cli.json("codebook", "show") == []


def test_codebook_100_levels_deep_still_imports(cli, tmp_path):
    path = tmp_path / "profond.qdc"
    path.write_text('<?xml version="1.0"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
                    + "".join(f'<Code name="c{i}" isCodable="true">' for i in range(100))
                    + "</Code>" * 100 + "</Codes></CodeBook>", encoding="utf-8")
    cli.ok("codebook", "import", path)
    assert len(cli.json("codebook", "show")) == 100


def test_file_names_that_are_not_utf8_or_break_lines(cli, tmp_path):
    """A Latin-1 name from an old disk, a name with a line break and one with a right-to-left
    override: each is ingested under a name that can be shown on one line and typed back."""
    import os

    folder = tmp_path / "terrain"
    folder.mkdir()
    for raw in (b"entr\xe9tien.txt", b"a\nb.txt", "x\u202egpj.txt".encode()):
        with open(os.path.join(os.fsencode(folder), raw), "wb") as f:
            f.write(b"Un paragraphe de texte.\n")
    cli.ok("init")
    cli.ok("ingest", folder)
    names = sorted(d["name"] for d in cli.json("docs", "list"))
    assert names == ["a\\nb.txt", "entrétien.txt", "x\\u202egpj.txt"]
    table = cli.ok("docs", "list").stdout.splitlines()
    assert len(table) == 4 + 3  # borders and header, then one line per document
    assert cli.json("docs", "show", "a\\nb.txt")["name"] == "a\\nb.txt"
    assert cli.json("ingest", folder)[0]["status"] == "unchanged"  # same names again


def test_output_that_cannot_encode_accents_does_not_fail(cli, make_doc, db_path):
    """PYTHONIOENCODING=ascii (or a Latin-1 terminal): escapes instead of UnicodeEncodeError;
    JSON stays valid and carries the same text."""
    import json
    import os
    import subprocess
    import sys

    make_doc("entretien_é.txt", [("Hélène", "Très bien, « merci ».")])
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    run = [sys.executable, "-m", "qualcode", "--db", str(db_path)]
    table = subprocess.run([*run, "docs", "show", "entretien_é.txt"], env=env,
                           capture_output=True, timeout=120)
    assert table.returncode == 0, table.stderr
    assert b"Tr\\xe8s bien" in table.stdout
    listed = subprocess.run([*run, "docs", "list", "--json"], env=env, capture_output=True,
                            timeout=120)
    assert listed.returncode == 0, listed.stderr
    listed.stdout.decode("ascii")
    assert json.loads(listed.stdout)[0]["name"] == "entretien_é.txt"


def test_ascii_with_stray_bytes_is_not_read_as_latin1_silently(cli, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"Bonjour tout le monde.\n\nEt la suite \xff\xfe\xfd ici.\n")
    cli.ok("init")
    line = _one_error_line(cli("ingest", path))
    assert "0xFF 0xFE 0xFD (first at line 3, column 13)" in line and "--encoding" in line
    assert cli.json("docs", "list") == []
    assert cli.json("ingest", path, "--encoding", "latin-1")[0]["status"] == "added"
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"Le caf\xe9 \xe9tait froid.\n")  # real Latin-1 French still reads
    assert cli.json("ingest", latin)[0]["encoding"] == "latin-1"


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_a_20_mb_single_line_file_is_read_in_bounded_memory(tmp_path):
    """Counting words no longer builds a list of every word (15 million strings for the
    issue's 60 MB line, 1.3 GB): a 20 MB line now peaks near 100 MB, was 450 MB."""
    import subprocess
    import sys

    path = tmp_path / "ligne.txt"
    path.write_text("mot " * 5_000_000, encoding="utf-8")
    # VmHWM, not ru_maxrss: the latter keeps the RSS of the forked pytest process.
    probe = ("import runpy, sys\n"
             f"sys.argv = ['qualcode', '--db', {str(tmp_path / 'c.db')!r}, 'ingest', "
             f"{str(path)!r}]\n"
             "try:\n    runpy.run_module('qualcode', run_name='__main__')\n"
             "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
             "status = open('/proc/self/status').read().split('VmHWM:')[1]\n"
             "print(int(status.split()[0]))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    peak_kib = int(done.stdout.strip().splitlines()[-1])
    assert peak_kib < 250 * 1024, peak_kib
