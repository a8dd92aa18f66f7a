"""Write the REFI-QDA fixtures of the test suite into tests/data/refi/.

    python tests/make_refi_fixtures.py          # (re)write the files
    python tests/make_refi_fixtures.py --check  # exit 1 if a committed file differs

Each file is small, written by us, and reproduces what real exports of other tools do beyond
the spec (docs/refi-qda.md lists these behaviours): positions in UTF-16 code units with CRLF
line ends and emoji, selections whose creator is not their Coding's, sets and repeated code
names, a project with users and codes only, cases and variables, source paths without
``internal://``, byte order marks, namespace variants, an empty ``<Sets/>``. Tests that only
need "a project with quirk X" use these files; the real files of other tools
(../shared/refi-qda/, outside the repository) are used only when present.

The output is deterministic (fixed GUIDs, uncompressed zip entries with a fixed date), so a
test can check that the committed files are exactly what this script writes.
"""

from __future__ import annotations

import html
import io
import sys
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "refi"
ZIP_DATE = (2024, 3, 4, 10, 0, 0)
_NAMESPACE = uuid.UUID("3f5d8f2e-7a41-4c1b-9a0e-5b7c2d9e1f60")
BOM = "\ufeff"


def guid(label: str) -> str:
    """A fixed GUID per label (lower case, no braces)."""
    return str(uuid.uuid5(_NAMESPACE, label))


def a(value: str) -> str:
    """An attribute value, escaped (apostrophes as &#x27;, as some tools write them)."""
    return html.escape(value, quote=True)


def t(value: str) -> str:
    """Element text, escaped."""
    return html.escape(value, quote=False)


def span(text: str, fragment: str, unit: str = "cp", nth: int = 0) -> tuple[int, int]:
    """Start and end of the ``nth`` occurrence of ``fragment`` in ``text``, counted in code
    points (``cp``) or in UTF-16 code units (``utf16``, how NVivo for Windows counts)."""
    i = -1
    for _ in range(nth + 1):
        i = text.index(fragment, i + 1)
    if unit == "cp":
        return i, i + len(fragment)
    start = len(text[:i].encode("utf-16-le")) // 2
    return start, start + len(fragment.encode("utf-16-le")) // 2


def zip_bytes(entries: list[tuple[str, bytes | str]]) -> bytes:
    """A zip archive with stored entries, a fixed date and fixed permissions."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.create_system = 3
            info.external_attr = (0o40755 << 16) | 0x10 if name.endswith("/") else 0o644 << 16
            zf.writestr(info, data.encode("utf-8") if isinstance(data, str) else data)
    return buffer.getvalue()


def selection(sel_guid: str, start: int, end: int, code: str, user: str, *,
              coding_guid: str | None = None, extra: str = "", inner: str = "") -> str:
    return (f'<PlainTextSelection guid="{sel_guid}" startPosition="{start}" '
            f'endPosition="{end}"{extra}>{inner}'
            f'<Coding guid="{coding_guid or guid(sel_guid + "/coding")}" creatingUser="{user}">'
            f'<CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>')


# --- NVivo for Windows: UTF-16 positions, CRLF line ends, emoji --------------------------------

NVIVO_INTERVIEW = (
    "Enquêteur : Comment venez-vous au travail le matin ?\r\n"
    "Lucie : En tram 🚋 jusqu'à la place, puis dix minutes à pied 🚶\u200d♀\ufe0f.\r\n"
    "Enquêteur : Et l'accueil, à l'ouverture ?\r\n"
    "Lucie : Le lundi, c'est la cohue 😅 : les gens attendent dehors sous la pluie.")
NVIVO_NOTES = (
    "📋 Samedi 9 mars, agence du centre.\r\n\r\n"
    "File de douze personnes à l'ouverture ; un agent seul au guichet.\r\n\r\n"
    "Une usagère s'énerve 😠 puis s'excuse : « ce n'est pas contre vous ».\r\n")


def nvivo_windows_utf16() -> bytes:
    """Positions in UTF-16 code units over CRLF text (CRLF = 2, each emoji = 2, the BOM not
    counted); user GUIDs in braces and upper case where codings refer to them; a code name
    repeated under two parents; an empty ``sources/.root`` entry."""
    users = {"lm": guid("nvivo/user/lm"), "ad": guid("nvivo/user/ad")}
    ref = {k: "{" + v.upper() + "}" for k, v in users.items()}
    code = {name: guid(f"nvivo/code/{name}") for name in (
        "mobilité", "transports en commun", "marche", "accueil", "affluence", "autres accueil",
        "conditions de travail", "autres conditions", "isolement")}
    interview, notes = guid("nvivo/source/lucie"), guid("nvivo/source/notes")
    u = "utf16"
    lucie = [
        (span(NVIVO_INTERVIEW, "En tram 🚋 jusqu'à la place", u), "transports en commun", "lm"),
        (span(NVIVO_INTERVIEW, "dix minutes à pied 🚶\u200d♀\ufe0f.", u), "marche", "lm"),
        (span(NVIVO_INTERVIEW, "c'est la cohue 😅 : les gens attendent dehors sous la pluie.",
              u), "affluence", "lm"),
        (span(NVIVO_INTERVIEW, "la cohue 😅", u), "affluence", "ad"),
    ]
    observed = [
        (span(NVIVO_NOTES, "File de douze personnes à l'ouverture", u), "affluence", "ad"),
        (span(NVIVO_NOTES, "un agent seul au guichet", u), "isolement", "ad"),
        (span(NVIVO_NOTES, "« ce n'est pas contre vous »", u), "autres accueil", "lm"),
    ]

    def sels(source: str, items: list) -> str:
        return "".join(selection(guid(f"{source}/sel/{n}"), s, e, code[c], ref[user])
                       for n, ((s, e), c, user) in enumerate(items))

    def c(key: str, name: str, children: str = "") -> str:
        if not children:
            return f'<Code guid="{code[key]}" isCodable="true" name="{a(name)}"/>'
        return f'<Code guid="{code[key]}" isCodable="true" name="{a(name)}">{children}</Code>'

    codes = (c("mobilité", "mobilité", c("transports en commun", "transports en commun")
               + c("marche", "marche"))
             + c("accueil", "accueil", c("affluence", "affluence")
                 + c("autres accueil", "autres"))
             + c("conditions de travail", "conditions de travail",
                 c("autres conditions", "autres") + c("isolement", "isolement")))
    qde = (
        '<?xml version="1.0" encoding="UTF-8" standalone="no" ?>'
        '<Project basePath="" name="Accueil et mobilité" origin="NVivo 14 (Windows)" '
        'creationDateTime="2024-03-04T09:12:00Z" xmlns="urn:QDA-XML:project:1.0" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="urn:QDA-XML:project:1.0 Project.xsd">'
        f'<Users><User guid="{users["lm"]}" id="LM" name="Léa Martin"/>'
        f'<User guid="{users["ad"]}" id="AD" name="Awa Diallo"/></Users>'
        f'<CodeBook><Codes>{codes}</Codes></CodeBook><Sources>'
        f'<TextSource guid="{interview}" name="entretien_lucie.txt" '
        f'plainTextPath="internal://{interview}.txt">{sels(interview, lucie)}</TextSource>'
        f'<TextSource guid="{notes}" name="notes_accueil.txt" '
        f'plainTextPath="internal://{notes}.txt">{sels(notes, observed)}</TextSource>'
        '</Sources></Project>')
    return zip_bytes([
        (f"sources/{interview}.txt", BOM + NVIVO_INTERVIEW),
        (f"sources/{notes}.txt", BOM + NVIVO_NOTES),
        ("sources/.root", b""),
        ("project.qde", qde),
    ])


# --- NVivo 12: the selection's creator coded, every Coding names the project owner -----------

NVIVO12_TEXT = (
    "Enquêtrice : Qui décide des horaires d'ouverture ?\r\n"
    "Julie : La direction, sans nous demander. On l'apprend par mail 📧 la veille.\r\n"
    "Enquêtrice : Et entre collègues ?\r\n"
    "Julie : On s'arrange, on se remplace. Sans ça on ne tiendrait pas.")


def nvivo12_selection_creators() -> bytes:
    """As a real NVivo 12 project does: each ``PlainTextSelection`` names who coded it in
    ``creatingUser`` while every ``Coding`` names the project's owner; one selection has no
    creator (its Coding's counts), one selection carries two codings. Selections and codings
    have different dates; positions in UTF-16 code units over CRLF text."""
    users = {"owner": guid("nvivo12/user/owner"), "coder": guid("nvivo12/user/coder")}
    code = {name: guid(f"nvivo12/code/{name}") for name in (
        "hiérarchie", "information", "entraide")}
    source = guid("nvivo12/source/julie")
    owner = users["owner"]
    items = [  # (fragment, codes, selection creator or None, selection date)
        ("La direction, sans nous demander.", ["hiérarchie"], "coder", "2019-05-02T09:15:00Z"),
        ("On l'apprend par mail 📧 la veille.", ["information", "hiérarchie"], "coder",
         "2019-05-02T09:16:30Z"),
        ("On s'arrange, on se remplace.", ["entraide"], "coder", "2019-05-03T14:02:00Z"),
        ("Sans ça on ne tiendrait pas.", ["entraide"], None, "2019-05-03T14:05:00Z"),
        ("On s'arrange", ["entraide"], "owner", "2019-05-06T08:00:00Z"),
    ]
    sels = []
    for n, (fragment, codes, creator, date) in enumerate(items):
        start, end = span(NVIVO12_TEXT, fragment, "utf16")
        who = f' creatingUser="{{{users[creator].upper()}}}"' if creator else ""
        codings = "".join(
            f'<Coding guid="{guid(f"nvivo12/coding/{n}/{k}")}" creatingUser="{owner}" '
            f'creationDateTime="2019-05-10T17:00:0{k}Z">'
            f'<CodeRef targetGUID="{code[name]}"/></Coding>' for k, name in enumerate(codes))
        sels.append(f'<PlainTextSelection guid="{guid(f"nvivo12/selection/{n}")}" '
                    f'name="{a(fragment)}" startPosition="{start}" endPosition="{end}"{who} '
                    f'creationDateTime="{date}">{codings}</PlainTextSelection>')
    codes = "".join(f'<Code guid="{g}" name="{a(name)}" isCodable="true"/>'
                    for name, g in code.items())
    qde = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<Project name="Horaires" origin="NVivo 12 (Windows)" '
        'creationDateTime="2019-05-10T17:00:00Z" xmlns="urn:QDA-XML:project:1.0">'
        f'<Users><User guid="{owner}" name="Claire Dubois"/>'
        f'<User guid="{users["coder"]}" name="Julien Moreau"/></Users>'
        f'<CodeBook><Codes>{codes}</Codes></CodeBook><Sources>'
        f'<TextSource guid="{source}" name="entretien_julie.txt" '
        f'plainTextPath="internal://{source}.txt" creatingUser="{owner}">{"".join(sels)}'
        '</TextSource></Sources></Project>')
    return zip_bytes([(f"sources/{source}.txt", BOM + NVIVO12_TEXT), ("project.qde", qde)])


# --- MAXQDA: project sets, repeated code names ------------------------------------------------

MAXQDA_TEXT = (
    "I : Pourquoi avoir choisi ce métier ?\n"
    "Marc : Pour être utile aux gens, vraiment. Le reste, les primes, les horaires, ça compte "
    "moins.\n"
    "I : Et ce qui pèse le plus ?\n"
    "Marc : Les dossiers qui s'empilent. Et puis le reste, les pannes d'imprimante, les "
    "badges.\n")


def maxqda_sets_duplicates() -> bytes:
    """Project-level ``<Sets>`` (one of codes, one of sources only); ``Autres`` under two
    parents; ``accueil`` and ``Accueil`` side by side at the top."""
    user = guid("maxqda/user")
    code = {k: guid(f"maxqda/code/{k}") for k in (
        "motivation", "sens", "autres1", "difficultés", "charge", "autres2", "accueil",
        "Accueil")}
    source = guid("maxqda/source/marc")
    items = [
        ("Pour être utile aux gens, vraiment.", "sens"),
        ("les primes, les horaires", "autres1"),
        ("Les dossiers qui s'empilent.", "charge"),
        ("les pannes d'imprimante, les badges", "autres2"),
        ("Pourquoi avoir choisi ce métier ?", "accueil"),
    ]
    sels = "".join(selection(guid(f"maxqda/sel/{n}"), *span(MAXQDA_TEXT, frag), code[key], user)
                   for n, (frag, key) in enumerate(items))
    qde = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="Motivations" origin="MAXQDA 24">\n'
        f'<Users><User guid="{user}" name="Claire"/></Users>\n'
        '<CodeBook><Codes>\n'
        f'<Code guid="{code["motivation"]}" name="Motivation" isCodable="true" color="#2E86C1">'
        f'<Code guid="{code["sens"]}" name="sens du travail" isCodable="true" color="#5DADE2"/>'
        f'<Code guid="{code["autres1"]}" name="Autres" isCodable="true" color="#AED6F1"/>'
        '</Code>\n'
        f'<Code guid="{code["difficultés"]}" name="Difficultés" isCodable="true" '
        'color="#C0392B">'
        f'<Code guid="{code["charge"]}" name="charge de travail" isCodable="true" '
        'color="#E74C3C"/>'
        f'<Code guid="{code["autres2"]}" name="Autres" isCodable="true" color="#F5B7B1"/>'
        '</Code>\n'
        f'<Code guid="{code["accueil"]}" name="accueil" isCodable="true" color="#27AE60"/>\n'
        f'<Code guid="{code["Accueil"]}" name="Accueil" isCodable="true" color="#1E8449"/>\n'
        '</Codes></CodeBook>\n'
        f'<Sources><TextSource guid="{source}" name="Entretien Marc" '
        f'plainTextPath="internal://{source}.txt" creatingUser="{user}">{sels}</TextSource>'
        '</Sources>\n'
        f'<Sets><Set guid="{guid("maxqda/set/rapport")}" name="Thèmes du rapport">'
        '<Description>Codes repris dans le rapport</Description>'
        f'<MemberCode targetGUID="{code["sens"]}"/><MemberCode targetGUID="{code["charge"]}"/>'
        '</Set>'
        f'<Set guid="{guid("maxqda/set/mars")}" name="Entretiens de mars">'
        f'<MemberSource targetGUID="{source}"/></Set></Sets>\n'
        '</Project>\n')
    return zip_bytes([("project.qde", qde), (f"sources/{source}.txt", MAXQDA_TEXT)])


# --- ATLAS.ti: users and a nested codebook, nothing else ---------------------------------------

def atlasti_users_only() -> bytes:
    """Users and codes only (no sources, no codings); GUIDs in upper case; a user named after
    the tool; ``xsi:schemaLocation`` pointing at the schema's web address."""
    person, tool = guid("atlas/user/ines").upper(), guid("atlas/user/tool").upper()
    top = guid("atlas/code/réunions").upper()
    first, second = guid("atlas/code/équipe").upper(), guid("atlas/code/direction").upper()
    qde = (
        '<?xml version="1.0" encoding="utf-8"?>\r\n'
        '<Project xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="urn:QDA-XML:project:1.0 '
        'http://schema.qdasoftware.org/versions/Project/v1.0/Project.xsd" '
        'origin="ATLAS.ti Windows 23.2" name="terrain-atlas" '
        f'creatingUserGUID="{person}" creationDateTime="2023-05-02T08:30:00Z" '
        f'modifyingUserGUID="{person}" modifiedDateTime="2023-05-02T08:41:00Z" '
        'xmlns="urn:QDA-XML:project:1.0">\r\n'
        '  <Users>\r\n'
        f'    <User guid="{person}" name="Inès Moreau" />\r\n'
        f'    <User guid="{tool}" name="ATLAS.ti" />\r\n'
        '  </Users>\r\n'
        '  <CodeBook>\r\n    <Codes>\r\n'
        f'      <Code guid="{top}" name="Réunions" isCodable="true">\r\n'
        f'        <Code guid="{second}" name="2023-04-02 direction" isCodable="true" />\r\n'
        f'        <Code guid="{first}" name="2023-03-14 équipe" isCodable="true" />\r\n'
        '      </Code>\r\n    </Codes>\r\n  </CodeBook>\r\n</Project>')
    return zip_bytes([("project.qde", qde)])


# --- QualCoder: cases, variables, notes, BOMs --------------------------------------------------

QUALCODER_NADIA = (
    "Enquêtrice : Depuis quand travaillez-vous à l'accueil ?\n"
    "Nadia : Depuis 2015. J'ai commencé en contrat aidé, puis on m'a titularisée en 2018.\n"
    "Enquêtrice : Et vos collègues ?\n"
    "Nadia : On se serre les coudes. Sophie, ma voisine de guichet, me remplace quand mon fils "
    "est malade. « On se rend la pareille », comme elle dit. 🙂\n")
QUALCODER_BRUNO = (
    "[00:00:02] Enquêteur : Qu'est-ce qui a changé avec la dématérialisation ?\n"
    "[00:00:09] Bruno : Tout passe par l'écran maintenant. Les gens âgés, on les perd.\n"
    "[00:00:17] Bruno : Et le syndicat nous a alertés dès le début, c'est pour ça que j'ai "
    "adhéré.\n")
QUALCODER_JOURNAL = "Premier entretien : Nadia a préféré la salle de pause."


def _qualcoder_codes(code: dict[str, str]) -> str:
    def c(key: str, codable: bool, description: str = "", colour: str = "",
          children: str = "") -> str:
        attrs = f'guid="{code[key]}" name="{a(key)}" isCodable="{str(codable).lower()}"'
        if colour:
            attrs += f' color="{colour}"'
        inner = f"<Description>{t(description)}</Description>\n" if description else ""
        return f"<Code {attrs}>\n{inner}{children}</Code>\n"

    return (
        c("parcours", True, "Entrée dans le métier, titularisation", "#D2F2D4")
        + c("relations", False, "Relations au travail", children=(
            c("entraide", True, "Entraide entre collègues (remplacements, garde d'enfants)",
              "#F5A9A9", c("réciprocité", True, "Sous-code d'entraide", "#F6CECE"))
            + c("usagers", True, "Rapport aux usagers", "#81BEF7")))
        + c("travail", False, "Rapport au travail", children=(
            c("syndicat", True, "Engagement syndical", "#81F781")
            + c("statut", False, children=c("précarité", True, "Contrats aidés, CDD",
                                             "#F4FA58")))))


QUALCODER_CODES = ("parcours", "relations", "entraide", "réciprocité", "usagers", "travail",
                   "syndicat", "statut", "précarité")


def qualcoder_cases_variables() -> bytes:
    """Cases with typed variables and descriptions; a source variable; a case pointing at a
    GUID no source has (a stale file of the archive); sources whose GUID is not their file's
    name; a note anchored by its own selection, an unreferenced note kept in a file, memos as
    descriptions; UTF-8 BOMs; interviewer turns with time stamps; two coders."""
    user1, user2 = guid("qc4/user/1"), guid("qc4/user/2")
    code = {k: guid(f"qc4/code/{k}") for k in QUALCODER_CODES}
    var = {k: guid(f"qc4/var/{k}") for k in ("âge", "métier", "lieu")}
    nadia, bruno = guid("qc4/source/nadia"), guid("qc4/source/bruno")
    nadia_file, bruno_file = guid("qc4/file/nadia"), guid("qc4/file/bruno")
    stale = guid("qc4/file/stale")
    journal, anchored = guid("qc4/note/journal"), guid("qc4/note/anchored")
    stamp = 'creationDateTime="2024-02-20T14:05:00Z"'

    def sel(key: str, text: str, fragment: str, code_key: str, user: str,
            description: str = "") -> str:
        s, e = span(text, fragment)
        inner = f"\n<Description>{t(description)}</Description>\n" if description else "\n"
        return (f'<PlainTextSelection guid="{guid(key)}" startPosition="{s}" endPosition="{e}" '
                f'name="{a(fragment)}" creatingUser="{user}" {stamp}>{inner}'
                f'<Coding guid="{guid(key + "/coding")}" creatingUser="{user}" >\n'
                f'<CodeRef targetGUID="{code[code_key]}" />\n</Coding>\n</PlainTextSelection>\n')

    def value(key: str, kind: str, val: str) -> str:
        return (f'<VariableValue>\n<VariableRef targetGUID="{var[key]}" />\n'
                f'<{kind}Value>{t(val)}</{kind}Value>\n</VariableValue>\n')

    sophie = ("Sophie, ma voisine de guichet, me remplace quand mon fils est malade.")
    pareille = span(QUALCODER_NADIA, "« On se rend la pareille », comme elle dit.")
    qde = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<Project xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="accueil_vague1.qda" '
        f'origin="QualCoder 3.6" creatingUserGUID="{user1}" {stamp} '
        'xmlns="urn:QDA-XML:project:1.0">\n'
        f'<Users>\n<User guid="{user1}" name="enquetrice1" />\n'
        f'<User guid="{user2}" name="enquetrice2" />\n</Users>\n'
        f'<CodeBook>\n<Codes>\n{_qualcoder_codes(code)}</Codes>\n</CodeBook>\n'
        '<Variables>\n'
        f'<Variable guid="{var["âge"]}" name="âge" typeOfVariable="Float" >\n'
        "<Description>Âge à l&#x27;entretien</Description>\n</Variable>\n"
        f'<Variable guid="{var["métier"]}" name="métier" typeOfVariable="Text" >\n'
        '<Description>Poste occupé</Description>\n</Variable>\n'
        f'<Variable guid="{var["lieu"]}" name="lieu de l&#x27;entretien" '
        'typeOfVariable="Text" >\n<Description />\n</Variable>\n'
        '</Variables>\n'
        '<Cases>\n'
        f'<Case guid="{guid("qc4/case/nadia")}" name="Nadia">\n'
        "<Description>agente d&#x27;accueil, 41 ans</Description>\n"
        + value("âge", "Float", "41") + value("métier", "Text", "agente d'accueil")
        + '</Case>\n'
        f'<Case guid="{guid("qc4/case/bruno")}" name="Bruno">\n'
        '<Description>agent polyvalent</Description>\n'
        + value("âge", "Float", "52") + value("métier", "Text", "agent polyvalent")
        + f'<SourceRef targetGUID="{stale}"/>\n</Case>\n'
        '</Cases>\n'
        '<Sources>\n'
        f'<TextSource plainTextPath="internal://{nadia_file}.txt" creatingUser="{user1}" '
        f'{stamp} guid="{nadia}" name="entretien_nadia.txt">\n'
        '<Description>mémo du fichier entretien_nadia.txt</Description>\n'
        + sel("qc4/sel/aide", QUALCODER_NADIA, "J'ai commencé en contrat aidé", "précarité",
              user1, "contrat aidé = porte d'entrée")
        + sel("qc4/sel/2015", QUALCODER_NADIA, "Depuis 2015.", "parcours", user1)
        + sel("qc4/sel/sophie1", QUALCODER_NADIA, sophie, "entraide", user1)
        + sel("qc4/sel/sophie2", QUALCODER_NADIA, sophie, "réciprocité", user1)
        + f'<NoteRef targetGUID="{anchored}" />\n'
        + value("lieu", "Text", "domicile")
        + '</TextSource>\n'
        f'<TextSource plainTextPath="internal://{bruno_file}.txt" creatingUser="{user1}" '
        f'{stamp} guid="{bruno}" name="entretien_bruno.txt">\n'
        '<Description>mémo du fichier entretien_bruno.txt</Description>\n'
        + sel("qc4/sel/âgés", QUALCODER_BRUNO, "Les gens âgés, on les perd.", "usagers", user1)
        + sel("qc4/sel/syndicat", QUALCODER_BRUNO,
              "le syndicat nous a alertés dès le début, c'est pour ça que j'ai adhéré",
              "syndicat", user1)
        + sel("qc4/sel/âgés2", QUALCODER_BRUNO, "Les gens âgés", "usagers", user2)
        + value("lieu", "Text", "agence")
        + '</TextSource>\n'
        '</Sources>\n'
        '<Notes>\n'
        f'<Note guid="{journal}" creatingUser="{user1}" {stamp} name="Journal de terrain 1"  '
        f'plainTextPath="internal://{journal}.txt" >\n<Description /></Note>\n'
        f'<Note guid="{anchored}" creatingUser="{user1}" {stamp} >\n'
        '<PlainTextContent>Norme de réciprocité ?</PlainTextContent>\n'
        f'<PlainTextSelection guid="{guid("qc4/note/anchored/sel")}" '
        f'startPosition="{pareille[0]}" endPosition="{pareille[1]}" />\n'
        '</Note>\n'
        '</Notes>\n'
        '<Description>Mémo de projet : accueil en agence, vague 1</Description>\n'
        '</Project>\n')
    return zip_bytes([
        ("sources/", b""),
        ("project.qde", qde),
        (f"sources/{journal}.txt", BOM + QUALCODER_JOURNAL),
        (f"sources/{stale}.txt", QUALCODER_BRUNO),
        (f"sources/{nadia_file}.txt", BOM + QUALCODER_NADIA),
        (f"sources/{bruno_file}.txt", BOM + QUALCODER_BRUNO),
    ])


# --- qc: source paths without internal://, hard-wrapped lines ---------------------------------

QC_MEETING = (
    "Intervenant 1 :          Merci. Passons au point suivant, l'accueil \n"
    "téléphonique du service. \n"
    "\n"
    "Intervenant 2 :          Oui. Nous avons reçu les chiffres du trimestre, et \n"
    "il faut bien dire que l'attente moyenne a doublé depuis janvier. Le \n"
    "standard ferme à midi, les usagers rappellent l'après-midi, et tout \n"
    "s'accumule. \n"
    "\n"
    "Intervenant 1 :          Et le renfort promis ? \n")
QC_ADMIN = (
    "Compte rendu administratif. \n"
    "Le planning des guichets change au 1er avril : ouverture à 8 h 30, \n"
    "fermeture à 16 h. \n")


def qc_plain_path() -> bytes:
    """``plainTextPath`` as a bare file name (no ``internal://``); hard-wrapped lines ending in
    a space; selections named after their line, some covering whole lines with their line end,
    one starting inside the padding after a speaker label; repeated code names."""
    user = guid("qc/user")
    code = {k: guid(f"qc/code/{k}") for k in ("attente", "téléphone", "autres1", "organisation",
                                             "horaires", "autres2")}
    meeting, admin = guid("qc/source/meeting"), guid("qc/source/admin")
    label_end = QC_MEETING.index("Intervenant 2 :") + len("Intervenant 2 :")
    items = [
        (meeting, (label_end + 3, QC_MEETING.index("Oui.") + 4), "téléphone", 4),
        (meeting, span(QC_MEETING, "il faut bien dire que l'attente moyenne a doublé depuis "
                                   "janvier. Le \n"), "attente", 5),
        (meeting, span(QC_MEETING, "standard ferme à midi, les usagers rappellent "
                                   "l'après-midi, et tout \n"), "horaires", 6),
        (meeting, span(QC_MEETING, "Et le renfort promis ?"), "autres1", 9),
        (admin, span(QC_ADMIN, "Le planning des guichets change au 1er avril : ouverture à "
                               "8 h 30, \n"), "horaires", 2),
        (admin, span(QC_ADMIN, "fermeture à 16 h."), "autres2", 3),
    ]

    def sels(source: str) -> str:
        return "".join(
            f'<PlainTextSelection guid="{guid(f"qc/sel/{n}")}" name="line:{line}" '
            f'startPosition="{s}" endPosition="{e}"><Coding guid="{guid(f"qc/coding/{n}")}" '
            f'creatingUser="{user}"><CodeRef targetGUID="{code[key]}" /></Coding>'
            '</PlainTextSelection>'
            for n, (src, (s, e), key, line) in enumerate(items) if src == source)

    def c(key: str, name: str, children: str = "") -> str:
        close = f">{children}</Code>" if children else " />"
        return f'<Code name="{a(name)}" guid="{code[key]}" isCodable="true"{close}'

    codes = (c("attente", "attente", c("téléphone", "téléphone") + c("autres1", "autres"))
             + c("organisation", "organisation",
                 c("horaires", "horaires") + c("autres2", "autres")))
    qde = (
        '<Project xmlns="urn:QDA-XML:project:1.0" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" origin="qc 1.3.2" '
        f'name="qc project"><Users><User name="cp" guid="{user}" /></Users>'
        f'<CodeBook><Codes>{codes}</Codes></CodeBook><Sources>'
        f'<TextSource plainTextPath="reunion_conseil.txt" guid="{meeting}">{sels(meeting)}'
        f'</TextSource><TextSource plainTextPath="admin.txt" guid="{admin}">{sels(admin)}'
        '</TextSource></Sources></Project>')
    return zip_bytes([("project.qde", qde), ("sources/reunion_conseil.txt", QC_MEETING),
                      ("sources/admin.txt", QC_ADMIN)])


# --- codebooks (.qdc) ----------------------------------------------------------------------------

def spec_style_codebook() -> bytes:
    """Like the spec's own example: categories that cannot be coded, GUIDs with and without
    braces, colours in lower case, stray whitespace between elements."""
    g = {k: guid(f"spec/{k}") for k in ("thèmes", "logement", "santé", "valeurs",
                                        "solidarité", "mérite")}
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0" xmlns:qda="urn:QDA-XML:codebook:1.0" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="urn:QDA-XML:codebook:1.0 Codebook.xsd">\n<Codes>\n'
        f'<Code guid="{{{g["thèmes"]}}}" name="Thèmes" isCodable="false">\n</Code>\n'
        f'<Code guid="{{{g["logement"]}}}" name="Logement" isCodable="true" color="#ffcc00">\n'
        '<Description>Loyer, voisinage, recherche d&apos;un logement</Description>\n'
        f'</Code> <Code guid="{{{g["santé"]}}}" name="Santé" isCodable="true" color="#33cc99">\n'
        '<Description>Soins, médecins, arrêts de travail</Description>\n</Code>\n'
        f'<Code guid="{g["valeurs"]}" name="Valeurs" isCodable="false">\n</Code>\n'
        f'<Code guid="{{{g["solidarité"]}}}" name="Solidarité" isCodable="true" '
        'color="#cc3300">\n<Description>Entraide, dons, bénévolat</Description>\n</Code>\n'
        f'<Code guid="{{{g["mérite"]}}}" name="Mérite"  isCodable="true" color="#0033cc">\n'
        '<Description>Effort récompensé, réussite individuelle</Description>\n</Code>\n'
        '</Codes>\n</CodeBook>\n').encode()


def atlasti_codebook_0_4() -> bytes:
    """``xsi:schemaLocation`` naming ``codebook:0:4``, upper-case GUIDs, a code group written
    as a ``Set`` with ``MemberCode guid=``."""
    first, second = guid("atlasqdc/attente").upper(), guid("atlasqdc/colère").upper()
    group = guid("atlasqdc/group").upper()
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<CodeBook xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="urn:QDA-XML:codebook:0:4 Codebook.xsd" '
        'origin="ATLAS.ti Win 23.4.0" xmlns="urn:QDA-XML:codebook:1.0">\n'
        '  <Codes>\n'
        f'    <Code guid="{first}" name="attente" color="#46AA00" isCodable="true">\n'
        '      <Description>Temps passé au guichet</Description>\n    </Code>\n'
        f'    <Code guid="{second}" name="colère" color="#AA0046" isCodable="true" />\n'
        '  </Codes>\n  <Sets>\n'
        f'    <Set name="groupe de codes 1" guid="{group}">\n'
        '      <Description>catégorie 1</Description>\n'
        f'      <MemberCode guid="{first}" />\n    </Set>\n  </Sets>\n</CodeBook>\n'
    ).encode()


def taguette_empty_sets() -> bytes:
    """An empty ``<Sets/>`` (which the schema forbids), upper-case GUIDs, code names that look
    like markup, all on one line."""
    names = ["xsd:element name", "<guichet>", "file d'attente"]
    codes = "".join(f'<Code guid="{guid("taguette/" + n).upper()}" name="{a(n)}" '
                    'isCodable="true"/>' for n in names)
    return ('<?xml version="1.0" encoding="utf-8"?>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0" '
            f'origin="Taguette 1.4.1"><Codes>{codes}</Codes><Sets/></CodeBook>').encode()


def qualcoder_codebook_bom() -> bytes:
    """A UTF-8 byte order mark before the XML declaration; folders as ``isCodable="false"``."""
    code = {k: guid(f"qc4qdc/code/{k}") for k in QUALCODER_CODES}
    return (BOM + '<?xml version="1.0" encoding="utf-8"?>\n'
            '<CodeBook xmlns="urn:QDA-XML:codebook:1.0" '
            'xsi:schemaLocation="urn:QDA-XML:codebook:1.0 Codebook.xsd" origin="QualCoder" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
            f'<Codes>\n{_qualcoder_codes(code)}</Codes>\n</CodeBook>\n').encode("utf-8")


FIXTURES: dict[str, Callable[[], bytes]] = {
    "nvivo_windows_utf16.qdpx": nvivo_windows_utf16,
    "nvivo12_selection_creators.qdpx": nvivo12_selection_creators,
    "maxqda_sets_duplicates.qdpx": maxqda_sets_duplicates,
    "atlasti_users_only.qdpx": atlasti_users_only,
    "qualcoder_cases_variables.qdpx": qualcoder_cases_variables,
    "qc_plain_path.qdpx": qc_plain_path,
    "spec_style_codebook.qdc": spec_style_codebook,
    "atlasti_codebook_0_4.qdc": atlasti_codebook_0_4,
    "taguette_empty_sets.qdc": taguette_empty_sets,
    "qualcoder_codebook_bom.qdc": qualcoder_codebook_bom,
}


def build_all() -> dict[str, bytes]:
    return {name: build() for name, build in FIXTURES.items()}


def main(argv: list[str]) -> int:
    files = build_all()
    if "--check" in argv:
        stale = [n for n, data in files.items()
                 if not (OUT / n).is_file() or (OUT / n).read_bytes() != data]
        for name in stale:
            print(f"{OUT / name} differs from what {Path(__file__).name} writes", file=sys.stderr)
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (OUT / name).write_bytes(data)
        print(f"wrote {OUT / name} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
