"""Word and ODT files: tracked changes, comments, notes, headers, content controls, tables.

The .docx fixtures are written part by part (raw WordprocessingML in a zip) so each quirk is
exactly what Word writes; the .odt ones with odfpy.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from qualcode.cli.main import app
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
