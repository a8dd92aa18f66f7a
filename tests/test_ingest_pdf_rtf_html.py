"""PDF (text layer, dehyphenation, no-OCR error), RTF and HTML readers."""

from __future__ import annotations

import pytest

from qualcode.errors import InvalidInput
from qualcode.ingest.registry import read_path


def pdf_bytes(pages, *, text=True):
    """A PDF whose pages hold ``pages`` (lists of lines) in Helvetica, WinAnsi encoding."""
    objects = []
    font_id, pages_id = 3, 2
    kids = []
    body = []
    for k, lines in enumerate(pages):
        page_id, content_id = 4 + 2 * k, 5 + 2 * k
        kids.append(page_id)
        if text:
            ops = ["BT", "/F1 11 Tf", "14 TL", "72 770 Td"]
            for line in lines:
                raw = line.encode("cp1252")
                esc = "".join(chr(b) if 32 <= b < 127 and b not in b"()\\" else f"\\{b:03o}"
                              for b in raw)
                ops += [f"({esc}) Tj", "T*"]
            ops.append("ET")
        else:
            ops = ["0.5 g", "72 600 200 100 re f"]
        stream = "\n".join(ops).encode("latin-1")
        body.append((page_id, f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 595 842] "
                     f"/Resources << /Font << /F1 {font_id} 0 R >> >> "
                     f"/Contents {content_id} 0 R >>".encode()))
        body.append((content_id, b"<< /Length %d >>\nstream\n" % len(stream) + stream
                     + b"\nendstream"))
    objects = [(1, f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode()),
               (2, f"<< /Type /Pages /Kids [{' '.join(f'{i} 0 R' for i in kids)}] "
                   f"/Count {len(kids)} >>".encode()),
               (3, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                   b"/Encoding /WinAnsiEncoding >>"), *body]
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for num, obj in objects:
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for num in range(1, len(objects) + 1):
        out += b"%010d 00000 n \n" % offsets[num]
    out += (b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, xref))
    return bytes(out)


def texts(parsed) -> list[str]:
    return [parsed.text[s.start:s.end] for s in parsed.segments]


def turns(parsed) -> list[tuple]:
    return [(s.speaker, parsed.text[s.start:s.end], s.is_interviewer) for s in parsed.segments]


# Justified lines of about 70 characters; a paragraph ends on a short line closing a sentence.
PAGE_1 = [
    "Les aides-soignantes de l’équipe de nuit racontent leur travail, néan-",
    "moins elles disent « tenir » grâce au collectif et aux pauses prises à",
    "deux, quand le service est calme.",
    "Le deuxième paragraphe commence ici ; il parle des relèves du matin et",
    "des transmissions, qui se font debout dans le couloir, à l’arrache. Et",
]
PAGE_2 = [
    "2",  # a page number: not text
    "puis la journée recommence, avec ses imprévus et ses arrangements.",
]


def test_pdf_text_layer_paragraphs_and_hyphenation(tmp_path):
    path = tmp_path / "rapport.pdf"
    path.write_bytes(pdf_bytes([PAGE_1, PAGE_2]))
    parsed = read_path(path)
    assert texts(parsed) == [
        "Les aides-soignantes de l’équipe de nuit racontent leur travail, néanmoins elles "
        "disent « tenir » grâce au collectif et aux pauses prises à deux, quand le service "
        "est calme.",
        "Le deuxième paragraphe commence ici ; il parle des relèves du matin et des "
        "transmissions, qui se font debout dans le couloir, à l’arrache. Et puis la journée "
        "recommence, avec ses imprévus et ses arrangements.",
    ]
    assert parsed.text == "\n\n".join(texts(parsed))
    assert parsed.format == "pdf"
    assert parsed.meta == {"pages": 2}


def test_pdf_interview_turns(tmp_path):
    path = tmp_path / "entretien.pdf"
    path.write_bytes(pdf_bytes([[
        "Enquêtrice : Vous êtes arrivée quand dans le service ?",
        "Gisèle : En 2003. C’était l’hiver, il faisait un froid de loup, et l’équi-",
        "pe m’a bien accueillie.",
        "Enquêtrice : D’accord.",
    ]]))
    assert turns(read_path(path)) == [
        ("Enquêtrice", "Vous êtes arrivée quand dans le service ?", True),
        ("Gisèle", "En 2003. C’était l’hiver, il faisait un froid de loup, et l’équipe m’a "
                   "bien accueillie.", False),
        ("Enquêtrice", "D’accord.", True),
    ]


def test_pdf_with_an_embedded_font_from_matplotlib(tmp_path):
    import matplotlib

    matplotlib.use("pdf")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"pdf.fonttype": 42}):
        fig = plt.figure(figsize=(8.27, 11.69))
        fig.text(0.1, 0.9, "Ça fait vingt ans « au moins » que l’œuvre dure, néan-")
        fig.text(0.1, 0.87, "moins on tient.")
        fig.savefig(tmp_path / "figure.pdf")
        plt.close(fig)
    parsed = read_path(tmp_path / "figure.pdf")
    assert parsed.text == "Ça fait vingt ans « au moins » que l’œuvre dure, néanmoins on tient."


def test_pdf_without_text_layer_asks_for_ocr(cli, tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(pdf_bytes([[]], text=False))
    with pytest.raises(InvalidInput, match="scan.pdf has no text layer") as err:
        read_path(path)
    assert err.value.hint.startswith("run OCR first")
    result = cli("ingest", path)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: scan.pdf has no text layer")
    assert "run OCR first" in result.stderr
    assert cli.json("docs", "list") == []


def test_pdf_with_some_pages_scanned_is_read_with_a_warning(tmp_path):
    path = tmp_path / "mixte.pdf"
    data = pdf_bytes([PAGE_1 + ["fin."], []])
    path.write_bytes(data)
    parsed = read_path(path)
    assert parsed.warnings == ["1 of 2 pages have no text layer (pages 2): their text, if "
                               "any, is missing; run OCR on them"]


def test_damaged_pdf_read_anyway_says_so_and_prints_nothing_else(cli, tmp_path):
    # Bytes inserted after the header: every offset of the cross-reference table is wrong.
    data = pdf_bytes([PAGE_1]).replace(b"%PDF-1.4\n", b"%PDF-1.4\n% ajout\n", 1)
    path = tmp_path / "decale.pdf"
    path.write_bytes(data)
    parsed = read_path(path)
    assert len(parsed.segments) == 2
    assert parsed.warnings == ["the PDF is damaged (incorrect startxref pointer(1)): its text "
                               "may be incomplete; save or print it again as PDF"]
    result = cli.ok("ingest", path)
    assert result.stderr.splitlines()[0].startswith("warning: decale.pdf: the PDF is damaged")
    assert result.stderr.splitlines()[1:] == ["1 file: 1 added."]


def test_broken_pdf_is_one_clear_error(tmp_path):
    path = tmp_path / "casse.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n")
    with pytest.raises(InvalidInput, match="casse.pdf is not a readable PDF"):
        read_path(path)


RTF = (r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Times;}}{\header En-t\'eate de page}"
       r"\pard Enqu\'eatrice : Vous \'eates arriv\'e9e quand ?\par "
       r"Gis\'e8le : En 2003, c\u8217?\'e9tait l\'92hiver, \'ab tr\'e8s froid \'bb.\par"
       r"\pard Elle continue{\footnote\pard une note de bas de page} ici.\par}")


def test_rtf_turns_accents_and_left_out_destinations(tmp_path):
    path = tmp_path / "entretien.rtf"
    path.write_bytes(RTF.encode("ascii"))
    parsed = read_path(path)
    assert parsed.text == ("Enquêtrice : Vous êtes arrivée quand ?\n\n"
                           "Gisèle : En 2003, c’était l’hiver, « très froid ».\n\n"
                           "Elle continue ici.")
    assert turns(parsed) == [
        ("Enquêtrice", "Vous êtes arrivée quand ?", True),
        ("Gisèle", "En 2003, c’était l’hiver, « très froid ».\n\nElle continue ici.", False),
    ]
    assert parsed.encoding == "cp1252"


def test_rtf_that_is_not_rtf_is_refused(tmp_path):
    path = tmp_path / "faux.rtf"
    path.write_text("Bonjour, ceci est du texte.", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"faux.rtf is not an RTF file"):
        read_path(path)


HTML = """<!DOCTYPE html>
<html><head><meta charset="{charset}"><title>Notes de terrain</title>
<style>p {{ color: red }}</style><script>var x = "<p>pas du texte</p>";</script></head>
<body><nav><a href="/">Accueil</a></nav>
<h1>Journée du 12 mars</h1>
<p>Arrivée au   centre à <b>8 h</b>,
l’équipe est déjà là.</p>
<!-- un commentaire -->
<div><p>Gisèle m’explique « le planning ».</p><noscript>Activez JavaScript</noscript></div>
<ul><li>Réunion</li><li>Pause café</li></ul>
<table><tr><th>Heure</th><th>Lieu</th></tr><tr><td>9 h</td><td>salle B</td></tr></table>
</body></html>
"""


@pytest.mark.parametrize(("charset", "codec"), [("utf-8", "utf-8"),
                                                ("windows-1252", "cp1252")])
def test_html_paragraphs_kept_scripts_and_styles_dropped(tmp_path, charset, codec):
    path = tmp_path / "notes.html"
    path.write_bytes(HTML.format(charset=charset).encode(codec))
    parsed = read_path(path)
    assert texts(parsed) == [
        "Journée du 12 mars",
        "Arrivée au centre à 8 h, l’équipe est déjà là.",
        "Gisèle m’explique « le planning ».",
        "Réunion",
        "Pause café",
        "Heure | Lieu",
        "9 h | salle B",
    ]
    assert parsed.meta == {"title": "Notes de terrain"}
    assert "JavaScript" not in parsed.text and "color" not in parsed.text


def test_htm_suffix_and_interview_turns(tmp_path):
    path = tmp_path / "entretien.htm"
    path.write_text("<p>Enquêtrice : Et ensuite ?</p><p>Gisèle : Ensuite, <i>rien</i>.</p>",
                    encoding="utf-8")
    assert turns(read_path(path)) == [("Enquêtrice", "Et ensuite ?", True),
                                      ("Gisèle", "Ensuite, rien.", False)]


@pytest.mark.parametrize(("name", "content", "better"), [
    ("entretien.txt", '<?xml version="1.0"?>\n<TEI xmlns="http://www.tei-c.org/ns/1.0">'
     "<text><body><u who='#a'>Bonjour</u></body></text></TEI>", ".tei (or .xml)"),
    ("page.txt", "<!DOCTYPE html>\n<html><body><p>Bonjour à tous</p></body></html>", ".html"),
    ("notes.md", "<html>\n<p>Bonjour à tous</p>\n</html>", ".html"),
    ("t.txt", '<?xml version="1.0"?><Trans><Episode>Bonjour</Episode></Trans>', ".trs"),
])
def test_markup_under_a_text_suffix_gets_a_warning(tmp_path, name, content, better):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    parsed = read_path(path)
    assert len(parsed.warnings) == 1
    assert "looks like markup" in parsed.warnings[0]
    assert parsed.warnings[0].endswith(f"rename it to {better} to read its structure")


def test_text_that_merely_opens_with_a_bracket_gets_no_warning(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("<Gisèle> : arrive en retard.\n\nRéunion à midi.", encoding="utf-8")
    assert read_path(path).warnings == []


def test_markup_warning_on_the_command_line(cli, tmp_path):
    path = tmp_path / "entretien.txt"
    path.write_text('<?xml version="1.0"?>\n<TEI><text><body><u>Bonjour</u></body></text></TEI>',
                    encoding="utf-8")
    result = cli.ok("ingest", path)
    assert ("warning: entretien.txt: this .txt file looks like markup (<TEI>): it was read as "
            "plain text, tags included; rename it to .tei (or .xml) to read its structure"
            in result.stderr)
