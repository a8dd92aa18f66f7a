"""Text normalisation: NFC, LF line ends, no BOM, wrapped lines joined, hyphenation repaired.

Joining works on the lines of one block (a paragraph or a speaker turn): a line ending in
`mot-` followed by a line starting with a letter is either a word cut at the line end
(`néan-` + `moins` -> `néanmoins`) or a true compound (`pré-accueil`, `rendez-vous`,
`Jean-David`), decided by :func:`keep_hyphen` without any dictionary: evidence from the
document itself first, then small built-in lists of French prefixes and compounds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

# Prefixes that take a hyphen in current French spelling (`pré-accueil`, `ex-mari`).
PREFIXES = frozenset({
    "anti", "après", "arrière", "auto", "avant", "co", "contre", "demi", "ex", "extra", "grand",
    "hors", "hyper", "infra", "inter", "intra", "mi", "micro", "mini", "multi", "néo", "non",
    "post", "pré", "quasi", "semi", "sous", "sur", "super", "ultra", "vice",
})
# Frequent words that begin like a prefix but are single words: a cut there is repaired.
JOINED_WORDS = frozenset({
    "surtout", "surpris", "surprise", "surprenant", "surveiller", "surveillance", "surface",
    "présent", "présente", "présenter", "présentation", "prévenir", "prévu", "prévue",
    "préfecture", "précis", "précise", "précisément", "préparer", "préféré", "préférence",
    "prénom", "préalable", "autour", "autre", "autres", "autrement", "autrefois", "comme",
    "comment", "contrat", "contrats", "contrôle", "contrôler", "collègue", "collègues",
    "compte", "comprendre", "compris", "conseiller", "conseillère", "poste", "postes",
    "nonobstant", "interdit", "intervention", "interroger", "intéressant", "intérêt",
    "extrait", "superbe", "semaine", "semaines", "minute", "minutes", "minimum", "milieu",
    "exemple", "exemples", "exactement", "expliquer", "exprès", "demander", "demande",
})
# Compounds whose parts are ordinary words (`rendez-vous`): stored as consecutive pairs.
COMPOUNDS = (
    "rendez-vous", "peut-être", "c'est-à-dire", "au-delà", "vis-à-vis", "au-dessus",
    "au-dessous", "au-devant", "là-bas", "là-haut", "ci-dessus", "ci-dessous", "ci-joint",
    "entre-temps", "bien-être", "porte-parole", "porte-monnaie", "sans-abri", "sans-papiers",
    "grand-mère", "grand-père", "beau-frère", "belle-sœur", "belle-mère", "beau-père",
    "week-end", "tête-à-tête", "face-à-face", "mi-temps", "temps-plein", "arc-en-ciel",
    "chef-lieu", "garde-fou", "pot-de-vin", "aide-soignant", "aide-soignante", "lui-même",
    "est-ce", "qu'est-ce", "aujourd'hui", "quelques-uns", "quelques-unes", "dix-huit",
    "savoir-faire", "laisser-aller", "va-et-vient", "tout-à-fait", "c'est-à-dire",
)
COMPOUND_PAIRS = frozenset(
    (parts[i], parts[i + 1])
    for word in COMPOUNDS
    for parts in [word.split("-")]
    for i in range(len(parts) - 1)
)
# Second parts that make a hyphenated word whatever comes first: inverted pronouns
# (`peut-il`, `a-t-elle`, `dis-moi`), `-là`, `-ci`, `-même`.
CLITICS = frozenset({
    "je", "tu", "il", "elle", "on", "nous", "vous", "ils", "elles", "moi", "toi", "le", "la",
    "les", "lui", "leur", "y", "en", "ce", "t", "là", "ci", "même", "mêmes",
})
NUMBERS = frozenset({
    "un", "une", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
    "onze", "douze", "treize", "quatorze", "quinze", "seize", "vingt", "vingts", "trente",
    "quarante", "cinquante", "soixante", "cent", "cents", "et",
})

_BOM = "\ufeff"
_HYPHEN_END = re.compile(r"([^\W\d_][\w'’]*(?:-[\w'’]+)*)-$")
_WORD_START = re.compile(r"[\w'’]+")
# A line that must stay on its own line: a list item or a Markdown heading.
_KEEP_LINE = re.compile(r"(?:[-*•–—]\s|\d{1,3}[.)]\s|#)")
_RULE = re.compile(r"[-*_=~#.\s]{3,}")  # `---`, `* * *`: a separator line


def clean(raw: str) -> str:
    """NFC, LF line ends, BOM removed."""
    text = raw[1:] if raw.startswith(_BOM) else raw
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Page breaks and vertical tabs from word processors are line breaks here.
    if "\f" in text or "\v" in text:
        text = text.replace("\f", "\n").replace("\v", "\n")
    return text


def _last_part(token: str) -> str:
    """`l'anti` -> `anti`; `c'est-à` -> `à`."""
    token = token.rsplit("-", 1)[-1]
    return re.split(r"['’]", token)[-1]


def keep_hyphen(first: str, second: str, known: Callable[[str], bool] | None = None) -> bool:
    """Whether `first-` at a line end followed by `second` is a true hyphenated word.

    ``first`` is the token before the hyphen (it may hold earlier hyphens: `c'est-à`),
    ``second`` the word starting the next line. ``known(word)`` says whether a word occurs
    elsewhere in the document: the document's own spelling wins over the built-in lists.
    """
    if not second or not second[0].isalpha() or second[0].isupper() or first[-1].isdigit():
        return True
    a = _last_part(first).casefold().replace("’", "'")
    b = second.casefold().replace("’", "'")
    if (a, b) in COMPOUND_PAIRS or b in CLITICS or (a in NUMBERS and b in NUMBERS):
        return True
    if known is not None:
        if known(f"{a}-{b}"):
            return True
        if known(a + b):
            return False
    if "-" in first:  # already a compound (`arc-en-`): the cut is one of its hyphens
        return True
    return a in PREFIXES and (a + b) not in JOINED_WORDS


def join_lines(lines: list[str], known: Callable[[str], bool] | None = None) -> str:
    """Join the stripped, non-empty lines of one block into one paragraph."""
    if len(lines) == 1:
        return lines[0]
    parts = [lines[0]]
    last = lines[0]
    for line in lines[1:]:
        m = _HYPHEN_END.search(last) if last.endswith("-") else None
        if m and line[0].isalnum():
            second = _WORD_START.match(line)
            if second and not keep_hyphen(m.group(1), second.group(0), known):
                parts[-1] = parts[-1][:-1]  # drop the cut's hyphen
            parts.append(line)
        elif (_KEEP_LINE.match(line) or last.startswith("#") or _RULE.fullmatch(line)
              or _RULE.fullmatch(last)):
            parts.append("\n" + line)
        else:
            parts.append(" " + line)
        last = line
    return "".join(parts)


class WordIndex:
    """Lazy set of the casefolded words (hyphenated ones kept whole) of a text."""

    _WORDS = re.compile(r"[^\W\d_][\w'’]*(?:-[\w'’]+)*")

    def __init__(self, text: str) -> None:
        self._text = text
        self._words: set[str] | None = None

    def __call__(self, word: str) -> bool:
        if self._words is None:
            folded = self._text.casefold().replace("’", "'")
            self._words = set(self._WORDS.findall(folded))
        return word in self._words
