"""Word and ODT files: tracked changes, comments, notes, headers, content controls, tables.

The .docx fixtures are written part by part (raw WordprocessingML in a zip) so each quirk is
exactly what Word writes; the .odt ones with odfpy.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.ingest.registry import read_path

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CT = {
    "comments": "application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml",
    "footnotes": "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
    "endnotes": "application/vnd.openxmlformats-officedocument.wordprocessingml.endnotes+xml",
    "header": "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml",
    "footer": "application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml",
}
MAIN_CT = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")


def p(*runs: str, ppr: str = "") -> str:
    return f"<w:p>{ppr}{''.join(runs)}</w:p>"


def r(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def make_docx(path: Path, body: str, parts: dict[str, str] | None = None) -> Path:
    """A .docx whose body is ``body``; ``parts`` maps comments/footnotes/endnotes/header/
    footer to the inner XML of that part."""
    parts = parts or {}
    overrides = [f'<Override PartName="/word/document.xml" ContentType="{MAIN_CT}"/>']
    rels = []
    files = {}
    roots = {"comments": "w:comments", "footnotes": "w:footnotes", "endnotes": "w:endnotes",
             "header": "w:hdr", "footer": "w:ftr"}
    for n, (kind, inner) in enumerate(parts.items(), 1):
        name = f"{kind}1.xml" if kind in ("header", "footer") else f"{kind}.xml"
        overrides.append(f'<Override PartName="/word/{name}" ContentType="{CT[kind]}"/>')
        rels.append(f'<Relationship Id="rId{n}" Type="{REL}/{kind}" Target="{name}"/>')
        root = roots[kind]
        files[f"word/{name}"] = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                                 f'<{root} xmlns:w="{W_NS}" xmlns:r="{R_NS}">{inner}</{root}>')
    files["[Content_Types].xml"] = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        f'ContentType="application/xml"/>{"".join(overrides)}</Types>')
    files["_rels/.rels"] = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
        f'{REL}/officeDocument" Target="word/document.xml"/></Relationships>')
    files["word/_rels/document.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        f'openxmlformats.org/package/2006/relationships">{"".join(rels)}</Relationships>')
    files["word/document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{W_NS}" '
        f'xmlns:r="{R_NS}"><w:body>{body}<w:sectPr/></w:body></w:document>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return path


TRACKED_BODY = (
    p(r("Enquêtrice : Vous travaillez ici depuis longtemps ?"))
    + p(r("Gisèle : Depuis "),
        '<w:del w:id="1" w:author="Claire"><w:r><w:delText>deux</w:delText></w:r></w:del>',
        '<w:ins w:id="2" w:author="Claire"><w:r><w:t>trois</w:t></w:r></w:ins>',
        r(" ans, "),
        '<w:commentRangeStart w:id="0"/>', r("et c’est « la galère »"),
        '<w:commentRangeEnd w:id="0"/>',
        '<w:r><w:commentReference w:id="0"/></w:r>',
        r(" tous les lundis."),
        '<w:r><w:footnoteReference w:id="1"/></w:r>')
    + p(r("Enquêtrice : Et le reste de la semaine ?"))
    + '<w:sdt><w:sdtPr><w:alias w:val="Réponse"/></w:sdtPr><w:sdtContent>'
    + p(r("Gisèle : Ça va mieux, "),
        '<w:sdt><w:sdtPr/><w:sdtContent>' + r("franchement") + '</w:sdtContent></w:sdt>',
        r("."))
    + '</w:sdtContent></w:sdt>'
)
TRACKED_PARTS = {
    "comments": ('<w:comment w:id="0" w:author="Claire Martin" w:date="2026-03-02T10:00:00Z">'
                 + p(r("Expression récurrente : la galère.")) + '</w:comment>'),
    "footnotes": ('<w:footnote w:type="separator" w:id="-1">' + p(r("---")) + '</w:footnote>'
                  '<w:footnote w:id="1">' + p(r("L’enquêtée rit.")) + '</w:footnote>'),
    "header": p(r("Entretien n°3 — confidentiel")),
}
EXPECTED_TEXT = (
    "Enquêtrice : Vous travaillez ici depuis longtemps ?\n\n"
    "Gisèle : Depuis trois ans, et c’est « la galère » tous les lundis.\n\n"
    "Enquêtrice : Et le reste de la semaine ?\n\n"
    "Gisèle : Ça va mieux, franchement."
)


def test_docx_accepted_text_comments_notes_header_controls(tmp_path):
    path = make_docx(tmp_path / "gisele.docx", TRACKED_BODY, TRACKED_PARTS)
    parsed = read_path(path)
    assert parsed.text == EXPECTED_TEXT
    assert [(s.speaker, parsed.text[s.start:s.end]) for s in parsed.segments] == [
        ("Enquêtrice", "Vous travaillez ici depuis longtemps ?"),
        ("Gisèle", "Depuis trois ans, et c’est « la galère » tous les lundis."),
        ("Enquêtrice", "Et le reste de la semaine ?"),
        ("Gisèle", "Ça va mieux, franchement."),
    ]
    comment, footnote = parsed.annotations
    assert (comment.kind, comment.text, comment.author) == (
        "comment", "Expression récurrente : la galère.", "Claire Martin")
    assert parsed.text[comment.start:comment.end] == "et c’est « la galère »"
    assert comment.label == "comment by Claire Martin"
    assert (footnote.kind, footnote.text, footnote.label) == ("footnote", "L’enquêtée rit.",
                                                              "footnote 1")
    assert footnote.start == footnote.end == parsed.text.index(" tous les lundis.") + 17
    assert parsed.meta["headers"] == ["Entretien n°3 — confidentiel"]
    assert parsed.notes == [
        "tracked changes accepted: 1 insertion kept, 1 deletion left out",
        "1 comment kept as a memo",
        "1 footnote kept as a memo (not in the text)",
        "2 content controls read in place",
        "1 header not in the text (kept in the document's meta)",
    ]


def test_docx_ingest_makes_memos_and_says_what_it_kept(cli, tmp_path):
    path = make_docx(tmp_path / "gisele.docx", TRACKED_BODY, TRACKED_PARTS)
    result = cli.ok("ingest", path)
    assert result.stdout.startswith("added gisele.docx: 4 segments")
    for line in ("note: gisele.docx: tracked changes accepted: 1 insertion kept, 1 deletion "
                 "left out",
                 "note: gisele.docx: 1 comment kept as a memo",
                 "note: gisele.docx: 1 footnote kept as a memo (not in the text)",
                 "note: gisele.docx: 1 header not in the text (kept in the document's meta)"):
        assert line in result.stderr
    memos = cli.json("memo", "list")
    assert [(m["target"], m["title"], m["text"]) for m in memos] == [
        ("segment:gisele.docx:2", "comment by Claire Martin on « et c’est « la galère » »",
         "Expression récurrente : la galère."),
        ("segment:gisele.docx:2", "footnote 1", "L’enquêtée rit."),
    ]
    shown = cli.json("docs", "show", "gisele.docx")
    comment, footnote = shown["meta"]["annotations"]
    assert shown["text"][comment["start"]:comment["end"]] == "et c’est « la galère »"
    assert (comment["kind"], comment["segment"], comment["author"], comment["date"]) == (
        "comment", 2, "Claire Martin", "2026-03-02T10:00:00Z")
    assert (footnote["kind"], footnote["segment"], footnote["start"] == footnote["end"]) == (
        "footnote", 2, True)
    assert comment["memo"] != footnote["memo"]
    as_json = cli.json("ingest", path)
    assert as_json == [{"document": "gisele.docx", "status": "unchanged", "segments": 4,
                        "encoding": "utf-8"}]


def test_docx_replace_makes_the_file_memos_again(cli, tmp_path):
    path = make_docx(tmp_path / "gisele.docx", TRACKED_BODY, TRACKED_PARTS)
    cli.ok("ingest", path)
    cli.ok("memo", "add", "segment:gisele.docx:1", "Question trop fermée.")
    parts = {**TRACKED_PARTS, "comments": TRACKED_PARTS["comments"].replace(
        "Expression récurrente", "Expression typique")}
    make_docx(path, TRACKED_BODY, parts)
    cli.ok("ingest", path, "--replace")
    memos = cli.json("memo", "list")
    assert sorted(m["text"] for m in memos) == [
        "Expression typique : la galère.", "L’enquêtée rit.", "Question trop fermée."]


def test_time_speaker_text_table(tmp_path):
    def row(*cells: str) -> str:
        return "<w:tr>" + "".join(f"<w:tc>{p(r(c))}</w:tc>" for c in cells) + "</w:tr>"

    body = ("<w:tbl>" + row("Temps", "Locuteur", "Texte")
            + row("00:00:05", "Enquêtrice", "Vous dormez bien ?")
            + row("00:00:09", "Nadia", "Pas vraiment, non.")
            + row("00:01:02.5", "Enquêtrice", "Depuis quand ?")
            + row("[00:01:04]", "Nadia", "Depuis que je fais les nuits.")
            + "</w:tbl>")
    parsed = read_path(make_docx(tmp_path / "nadia.docx", body))
    assert [(s.speaker, s.is_interviewer, s.time_start, parsed.text[s.start:s.end])
            for s in parsed.segments] == [
        ("Enquêtrice", True, 5.0, "Vous dormez bien ?"),
        ("Nadia", False, 9.0, "Pas vraiment, non."),
        ("Enquêtrice", True, 62.5, "Depuis quand ?"),
        ("Nadia", False, 64.0, "Depuis que je fais les nuits."),
    ]
    assert parsed.notes == ["1 table header row left out (a time | speaker | text table)"]


def test_odt_table_time_speaker_text(tmp_path):
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import P

    document = OpenDocumentText()
    table = Table(name="transcription")
    table.addElement(TableColumn(numbercolumnsrepeated=3))
    for cells in (("00:00:05", "Enquêteur", "Et le week-end ?"),
                  ("00:00:08", "Samir", "Le week-end, je récupère.")):
        tr = TableRow()
        for cell in cells:
            tc = TableCell()
            tc.addElement(P(text=cell))
            tr.addElement(tc)
        table.addElement(tr)
    document.text.addElement(table)
    document.save(str(tmp_path / "samir.odt"))
    parsed = read_path(tmp_path / "samir.odt")
    assert [(s.speaker, s.time_start, parsed.text[s.start:s.end]) for s in parsed.segments] == [
        ("Enquêteur", 5.0, "Et le week-end ?"), ("Samir", 8.0, "Le week-end, je récupère.")]


def _odt_with_notes(path: Path) -> Path:
    from odf.dc import Creator, Date
    from odf.office import Annotation, AnnotationEnd
    from odf.opendocument import OpenDocumentText
    from odf.text import Note, NoteBody, NoteCitation, P, Span

    document = OpenDocumentText()
    document.text.addElement(P(text="Enquêteur : Vous aimez ce travail ?"))
    answer = P(text="Samir : Oui, ")
    comment = Annotation(name="c1")
    comment.addElement(Creator(text="Lucie"))
    comment.addElement(Date(text="2026-04-01T09:30:00"))
    comment.addElement(P(text="Ambivalence à coder."))
    answer.addElement(comment)
    answer.addElement(Span(text="enfin surtout"))
    answer.addElement(AnnotationEnd(name="c1"))
    answer.addText(" les collègues, c’est tout")
    note = Note(id="ftn1", noteclass="footnote")
    note.addElement(NoteCitation(text="1"))
    body = NoteBody()
    body.addElement(P(text="NOTE : il baisse la voix."))
    note.addElement(body)
    answer.addElement(note)
    answer.addText(".")
    document.text.addElement(answer)
    document.save(str(path))
    return path


def test_odt_notes_and_annotations_are_not_glued_into_the_speech(tmp_path):
    parsed = read_path(_odt_with_notes(tmp_path / "samir.odt"))
    assert parsed.text == ("Enquêteur : Vous aimez ce travail ?\n\n"
                           "Samir : Oui, enfin surtout les collègues, c’est tout.")
    comment, footnote = parsed.annotations
    assert (comment.kind, comment.text, comment.author, comment.extra) == (
        "comment", "Ambivalence à coder.", "Lucie", {"date": "2026-04-01T09:30:00"})
    assert parsed.text[comment.start:comment.end] == "enfin surtout"
    assert (footnote.kind, footnote.text, footnote.label) == (
        "footnote", "NOTE : il baisse la voix.", "footnote 1")
    assert footnote.start == footnote.end == parsed.text.index(".", 50)
    assert parsed.notes == ["1 comment kept as a memo",
                            "1 footnote kept as a memo (not in the text)"]


def test_odt_ingest_memos(cli, tmp_path):
    cli.ok("ingest", _odt_with_notes(tmp_path / "samir.odt"))
    memos = cli.json("memo", "list")
    assert [(m["target"], m["title"], m["text"]) for m in memos] == [
        ("segment:samir.odt:2", "comment by Lucie on « enfin surtout »", "Ambivalence à coder."),
        ("segment:samir.odt:2", "footnote 1", "NOTE : il baisse la voix."),
    ]


def test_docx_deleted_row_hidden_text_placeholder_and_footer(tmp_path):
    body = (p(r("Première observation : la salle est vide."))
            + p('<w:r><w:rPr><w:vanish/></w:rPr><w:t>texte caché</w:t></w:r>', r("Visible."))
            + '<w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent>'
            + p(r("Cliquez ici pour entrer du texte.")) + '</w:sdtContent></w:sdt>'
            + '<w:tbl><w:tr><w:trPr><w:del w:id="3" w:author="A"/></w:trPr><w:tc>'
            + p(r("ligne supprimée")) + '</w:tc></w:tr><w:tr><w:tc>' + p(r("ligne gardée"))
            + '</w:tc></w:tr></w:tbl>')
    parsed = read_path(make_docx(tmp_path / "obs.docx", body,
                                 {"footer": p(r("Page ")) + p(r("Laboratoire ÉTÉ"))}))
    assert parsed.text == ("Première observation : la salle est vide.\n\nVisible.\n\n"
                           "ligne gardée")
    assert parsed.meta["footers"] == ["Page\nLaboratoire ÉTÉ"]
    assert parsed.notes == [
        "tracked changes accepted: 0 insertions kept, 1 deletion left out",
        "1 content control showing only placeholder text left out",
        "1 footer not in the text (kept in the document's meta)",
        "1 hidden passage left out",
    ]


WORDS = ["la", "nuit", "é", "Gisèle", "«", "»", "c’est", "dur", ":", "oui", "mm"]


@settings(max_examples=60, deadline=None)
@given(paragraphs=st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=8),
                           min_size=1, max_size=5),
       breaks=st.lists(st.sampled_from([" ", "  ", "\n", " \t"]), min_size=40, max_size=40),
       where=st.tuples(st.integers(0, 4), st.integers(0, 8)))
def test_property_marks_stay_on_their_words(paragraphs, breaks, where):
    """A mark between two words lands between the same words in the stored text."""
    from qualcode.ingest.anchors import Marked, join_marked, offset_map
    from qualcode.ingest.turns import segment_text

    marked = []
    k = 0
    for n, words in enumerate(paragraphs):
        para = Marked()
        for i, word in enumerate(words):
            if (n, i) == (where[0] % len(paragraphs), where[1] % len(words)):
                para.mark("comment-start", "0")
            para.add(word + breaks[k % len(breaks)])
            k += 1
        marked.append(para)
    raw = join_marked(marked, "\n\n")
    text, _ = segment_text(raw.text)
    (at, _, _), = raw.marks
    pos = offset_map(raw.text, text)[at]
    squash = "".join
    assert squash(text[:pos].split()) == squash(raw.text[:at].split())


def test_docx_endnote_and_comment_over_two_paragraphs(tmp_path):
    body = (p(r("Enquêteur : Et la nuit ?"))
            + p(r("Hugo : "), '<w:commentRangeStart w:id="5"/>', r("C’est calme."))
            + p(r("Enfin, souvent."), '<w:commentRangeEnd w:id="5"/>',
                '<w:r><w:endnoteReference w:id="2"/></w:r>'))
    parts = {"comments": '<w:comment w:id="5" w:author="">' + p(r("Nuance")) + "</w:comment>",
             "endnotes": '<w:endnote w:id="2">' + p(r("Entretien interrompu ici."))
             + "</w:endnote>"}
    parsed = read_path(make_docx(tmp_path / "hugo.docx", body, parts))
    assert parsed.text == "Enquêteur : Et la nuit ?\n\nHugo : C’est calme.\n\nEnfin, souvent."
    comment, endnote = parsed.annotations
    assert parsed.text[comment.start:comment.end] == "C’est calme.\n\nEnfin, souvent."
    assert (comment.label, comment.author) == ("comment", "")
    assert (endnote.kind, endnote.label, endnote.start) == ("endnote", "endnote 1",
                                                            len(parsed.text))


def test_odt_header_and_footer_are_kept_out_of_the_text(tmp_path):
    from odf.opendocument import OpenDocumentText
    from odf.style import Footer, Header, MasterPage, PageLayout
    from odf.text import P

    document = OpenDocumentText()
    layout = PageLayout(name="pm1")
    document.automaticstyles.addElement(layout)
    page = MasterPage(name="Standard", pagelayoutname=layout)
    header, footer = Header(), Footer()
    header.addElement(P(text="Terrain Nord — carnet 2"))
    footer.addElement(P(text="Confidentiel"))
    page.addElement(header)
    page.addElement(footer)
    document.masterstyles.addElement(page)
    document.text.addElement(P(text="Arrivée à 7 h, la grille est fermée."))
    document.save(str(tmp_path / "carnet.odt"))
    parsed = read_path(tmp_path / "carnet.odt")
    assert parsed.text == "Arrivée à 7 h, la grille est fermée."
    assert (parsed.meta["headers"], parsed.meta["footers"]) == (
        ["Terrain Nord — carnet 2"], ["Confidentiel"])
    assert parsed.notes == ["1 header and 1 footer not in the text (kept in the document's meta)"]


def test_a_timetable_in_fieldnotes_is_not_a_transcript(tmp_path):
    def row(*cells: str) -> str:
        return "<w:tr>" + "".join(f"<w:tc>{p(r(c))}</w:tc>" for c in cells) + "</w:tr>"

    body = ("<w:tbl>" + row("08:00", "Accueil", "Ouverture des portes, douze personnes.")
            + row("08:30", "Guichet", "Premiers rendez-vous.") + "</w:tbl>")
    parsed = read_path(make_docx(tmp_path / "journee.docx", body))
    assert parsed.text == ("08:00 Accueil Ouverture des portes, douze personnes.\n\n"
                           "08:30 Guichet Premiers rendez-vous.")
    assert not parsed.has_turns and parsed.notes == []


def test_odt_deleted_text_of_tracked_changes_is_left_out(tmp_path):
    from odf.dc import Creator, Date
    from odf.office import ChangeInfo
    from odf.opendocument import OpenDocumentText
    from odf.text import (
        Change,
        ChangedRegion,
        ChangeEnd,
        ChangeStart,
        Deletion,
        Insertion,
        P,
        TrackedChanges,
    )

    document = OpenDocumentText()
    changes = TrackedChanges()
    for ident, kind, old in (("ct1", Deletion, "trois"), ("ct2", Insertion, None)):
        region = ChangedRegion(check_grammar=False)
        region.setAttrNS("http://www.w3.org/XML/1998/namespace", "id", ident)
        change = kind()
        info = ChangeInfo()
        info.addElement(Creator(text="Lucie"))
        info.addElement(Date(text="2026-04-02T10:00:00"))
        change.addElement(info)
        if old:
            change.addElement(P(text=old))
        region.addElement(change)
        changes.addElement(region)
    document.text.addElement(changes)
    para = P(text="Nous étions ")
    para.addElement(Change(changeid="ct1"))
    para.addElement(ChangeStart(changeid="ct2"))
    para.addText("quatre")
    para.addElement(ChangeEnd(changeid="ct2"))
    para.addText(" dans l’équipe de nuit.")
    document.text.addElement(para)
    document.save(str(tmp_path / "equipe.odt"))
    parsed = read_path(tmp_path / "equipe.odt")
    assert parsed.text == "Nous étions quatre dans l’équipe de nuit."
    assert parsed.notes == ["tracked changes accepted: 1 insertion kept, 1 deletion left out"]
