"""Speaker turns and paragraphs: raw text -> stored text and its segments.

A line opening with a label (`Enquêtrice :`, `E :`, `CLAIRE:`, `Jean-Marc :`,
`[00:12:34] Claire :`, `(00:12) Claire :`, with an optional no-break space before the colon)
opens a turn that runs until the next label. A label is 1-3 capitalised words (a trailing
number is allowed: `Locuteur 2`) or a known interviewer label, at most 30 characters, so
`Il m’a dit : « non »` is speech, not a label. A text is a transcript when it has at least two
label lines from at least two speakers; otherwise it is segmented by paragraph (blank lines).

A name alone on its line without a colon (`GISÈLE`, then her words on the next lines: a common
Word layout) is a label only with evidence, since headings and one-word answers look the same:
see `find_bare_labels`.

A turn's segment covers its words, not its label, so excerpts quote the speech.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from ..textutil import norm_name
from .base import SegmentIn
from .normalise import WordIndex, clean, join_lines

INTERVIEWER_LABELS = (
    "Enquêtrice", "Enquêteur", "Enquêteur·rice", "Enquêteur.rice", "Enquêteur-rice",
    "Intervieweur", "Intervieweuse", "Interviewer", "Chercheur", "Chercheuse", "E", "Q", "I",
)
MAX_LABEL_CHARS = 30
# Capitalised words that open fieldnote lines (`Date : ...`, `Bref : ...`) but name nobody.
NOT_SPEAKERS = frozenset(norm_name(w) for w in (
    "Alors", "Bon", "Bref", "Donc", "Mais", "Et", "Puis", "Ensuite", "Enfin", "Voilà", "Voici",
    "Exemple", "Par exemple", "Remarque", "Note", "Notes", "NB", "N.B.", "PS", "P.S.",
    "Conclusion", "Résumé", "Contexte", "Date", "Lieu", "Site", "Heure", "Durée", "Objet",
    "Objectif", "Titre", "Sujet", "Thème", "Attention", "Important", "Rappel", "Source",
    "Sources", "Transcription", "Observation", "Observations", "Présents", "Participants",
    "Définition", "Citation", "Lien", "Url", "Cf", "Total", "Oui", "Non", "Ici", "Là",
    "Bilan", "Synthèse", "Mots-clés", "Question", "Réponse", "Questions", "Problème",
    "Avantages", "Inconvénients", "Matin", "Après-midi", "Soir", "Ambiance", "Consigne",
    # Headings and one-word answers that may stand alone on a line.
    "Introduction", "Préambule", "Présentation", "Sommaire", "Plan", "Partie", "Chapitre",
    "Annexe", "Annexes", "Début", "Fin", "Suite", "Entretien", "Méthode", "Méthodologie",
    "Analyse", "Description", "Commentaire", "Commentaires", "Remerciements", "Terrain",
    "Pause", "Merci", "Bonjour", "Salut", "Ok", "D’accord", "D'accord", "Exactement",
    "Absolument", "Vraiment", "Peut-être", "Jamais", "Toujours", "Rien", "Parfois", "Pourquoi",
    "Comment", "Quoi", "Si",
))

_SP = "[ \t\u00a0\u202f]"
_LABEL = re.compile(
    rf"(?:[\[(](?P<ts>\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:[.,]\d{{1,3}})?)[\])]{_SP}*)?"
    rf"(?P<name>[^\W\d_][\w'’.·\-]*(?:{_SP}[\w'’.·\-]+){{0,2}})"
    rf"{_SP}*:(?:{_SP}+|$)"
)

# A name alone on its line: 1-3 words of letters (inner hyphens, apostrophes, dots), an optional
# trailing number, nothing after it (`NON.` or `Et alors ?` are speech).
_WORD = r"[^\W\d_]+(?:['’·.\-][^\W\d_]+)*"
_BARE = re.compile(rf"{_WORD}(?:{_SP}+{_WORD}){{0,2}}(?:{_SP}+\d{{1,3}})?")


@dataclass(frozen=True)
class Label:
    speaker: str
    length: int  # code points from the line start to the speech
    is_interviewer: bool
    time: float | None


@lru_cache(maxsize=64)
def interviewer_keys(extra: tuple[str, ...] = ()) -> frozenset[str]:
    """Normalised interviewer labels: the defaults plus the user's (`--interviewer`)."""
    return frozenset(norm_name(label) for label in (*INTERVIEWER_LABELS, *extra) if label)


@lru_cache(maxsize=4096)
def _key(name: str) -> str:
    return norm_name(name)


def parse_time(stamp: str) -> float:
    """`01:02:03` -> 3723.0, `12:34` (minutes:seconds) -> 754.0, `00:05,5` -> 5.5."""
    parts = stamp.replace(",", ".").split(":")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


def match_label(line: str, interviewers: frozenset[str]) -> Label | None:
    """The speaker label opening a stripped line, if it is one."""
    m = _LABEL.match(line)
    if m is None:
        return None
    name = m.group("name")
    if len(name) > MAX_LABEL_CHARS:
        return None
    key = _key(name)
    is_interviewer = key in interviewers
    if not is_interviewer:
        if key in NOT_SPEAKERS:
            return None
        words = name.split()
        if not words[0][0].isupper():
            return None
        if any(not (w[0].isupper() or w.isdigit()) for w in words[1:]):
            return None
    stamp = m.group("ts")
    return Label(" ".join(name.split()), m.end(), is_interviewer,
                 parse_time(stamp) if stamp else None)


def find_labels(lines: list[str], interviewers: frozenset[str]) -> dict[int, Label]:
    """Line index -> label, for the lines that open with one (lines are stripped)."""
    out: dict[int, Label] = {}
    for i, line in enumerate(lines):
        if line and (line[0].isalpha() or line[0] in "[("):
            label = match_label(line, interviewers)
            if label is not None:
                out[i] = label
    return out


def _bare_name(line: str) -> str | None:
    """The name a line holds alone (1-3 capitalised words, no colon, no final punctuation)."""
    if not line or not line[0].isupper() or len(line) > MAX_LABEL_CHARS:
        return None
    if _BARE.fullmatch(line) is None:
        return None
    words = line.split()
    if any(not (w[0].isupper() or w.isdigit()) for w in words):
        return None
    if sum(ch.isalpha() for ch in line) < 2 or _key(line) in NOT_SPEAKERS:
        return None
    return " ".join(words)


def _capitals(name: str) -> bool | None:
    """True for `GISÈLE`, False for `Gisèle`, None for a one-letter label (`E`)."""
    letters = [ch for ch in name if ch.isalpha()]
    if len(letters) < 2:
        return None
    return all(ch.isupper() for ch in letters)


def find_bare_labels(
    lines: list[str], labels: dict[int, Label], interviewers: frozenset[str],
    names: frozenset[str] = frozenset(),
) -> dict[int, Label]:
    """Line index -> label, for names alone on their line that are speaker labels.

    A candidate is a line holding only a name (see `_bare_name`) with text after it (its next
    non-blank line is not another candidate). It is a label when:
    1. the name is known: an interviewer label, one of ``names`` (the agents given), or a
       speaker labelled with a colon elsewhere in the document; or
    2. it recurs: at least two distinct candidate names are each on two lines or more
       (speakers alternate), and this name is one of them; or
    3. it comes right after an interviewer's turn, in a document where no other speaker has a
       colon label: the nearest label above is an interviewer label written in the same case
       (capitals or not), and the line before the name is speech (not another name, not
       ending with `:` or `,`, which would make the name an item of a list read out).
    A heading alone on its line or a one-word answer fails all three.
    """
    cands: dict[int, str] = {}
    for i, line in enumerate(lines):
        if i not in labels:
            name = _bare_name(line)
            if name is not None:
                cands[i] = name
    names_at = set(cands)
    after_speech: set[int] = set()
    for i in names_at:
        nxt = next((j for j in range(i + 1, len(lines)) if lines[j]), None)
        prev = next((j for j in range(i - 1, -1, -1) if lines[j]), None)
        if prev is not None and prev not in names_at and not lines[prev].endswith((":", ",")):
            after_speech.add(i)
        if nxt is None or nxt in names_at:
            del cands[i]
    if not cands:
        return {}
    counts: dict[str, int] = {}
    for name in cands.values():
        counts[_key(name)] = counts.get(_key(name), 0) + 1
    recurring = {key for key, n in counts.items() if n >= 2}
    if len(recurring) < 2:
        recurring = set()
    known = names | {_key(label.speaker) for label in labels.values()}
    bare_layout = all(label.is_interviewer for label in labels.values())
    out: dict[int, Label] = {}
    last: Label | None = None
    for i in sorted({*cands, *labels}):
        if i in labels:
            last = labels[i]
            continue
        name = cands[i]
        key = _key(name)
        follows = (bare_layout and i in after_speech and last is not None
                   and last.is_interviewer and _capitals(last.speaker) is not None
                   and _capitals(last.speaker) == _capitals(name))
        if key in interviewers or key in known or key in recurring or follows:
            last = out[i] = Label(name, len(lines[i]), key in interviewers, None)
    return out


def is_transcript(labels: dict[int, Label]) -> bool:
    if len(labels) < 2:
        return False
    first = _key(next(iter(labels.values())).speaker)
    return any(_key(label.speaker) != first for label in labels.values())


def segment_text(
    raw: str, interviewers: Iterable[str] = (), *, turns: bool = True,
    names: Iterable[str] = (),
) -> tuple[str, list[SegmentIn]]:
    """Normalise ``raw`` and cut it into turns (a transcript) or paragraphs.

    Returns the stored text and its segments; ``text[s.start:s.end]`` is each segment's text.
    ``turns=False`` forces paragraphs. ``names`` (the document's agents) are speaker names
    that count as labels when alone on their line.
    """
    text = clean(raw)
    lines = [line.strip() for line in text.split("\n")]
    keys = interviewer_keys(tuple(interviewers))
    labels = find_labels(lines, keys) if turns else {}
    bare: dict[int, Label] = {}
    if turns:
        bare = find_bare_labels(lines, labels, keys,
                                frozenset(_key(n) for n in names if n.strip()))
        labels = {**labels, **bare}
    if not is_transcript(labels):
        labels, bare = {}, {}
    known = WordIndex(text)

    out: list[str] = []
    pos = 0
    blocks: list[tuple[int, int, Label | None]] = []
    current: list[str] = []
    current_label: Label | None = None
    blank_before = False

    def flush() -> None:
        nonlocal pos
        if not current:
            return
        block = join_lines(current, known)
        if out:
            sep = "\n\n" if blank_before else "\n"
            out.append(sep)
            pos += len(sep)
        out.append(block)
        blocks.append((pos, pos + len(block), current_label))
        pos += len(block)

    for i, line in enumerate(lines):
        if not line:
            if current:
                flush()
                current = []
                blank_before = True
            continue
        label = labels.get(i)
        if label is not None and current:
            flush()
            current = []
            blank_before = False
        if not current:
            current_label = label
        current.append(line)
        if i in bare:  # the name keeps its own line; the speech starts on the next one
            flush()
            current = []
            blank_before = False
    flush()
    stored = "".join(out)
    return stored, _segments(stored, blocks, bool(labels))


def _segments(
    text: str, blocks: list[tuple[int, int, Label | None]], transcript: bool
) -> list[SegmentIn]:
    if not transcript:
        return [SegmentIn(start, end) for start, end, _ in blocks]
    segments: list[SegmentIn] = []
    first = next(k for k, block in enumerate(blocks) if block[2] is not None)
    if first:
        segments.append(SegmentIn(blocks[0][0], blocks[first - 1][1]))
    k = first
    while k < len(blocks):
        start, end, label = blocks[k]
        assert label is not None
        k += 1
        while k < len(blocks) and blocks[k][2] is None:
            end = blocks[k][1]
            k += 1
        speech = start + label.length
        while speech < end and text[speech].isspace():
            speech += 1
        if speech < end:  # a label with no words opens no segment
            segments.append(SegmentIn(speech, end, label.speaker, label.is_interviewer,
                                      label.time))
    return segments


@dataclass
class Turn:
    """A turn read from a structured file (subtitle cues, Transcriber turns)."""

    speaker: str | None
    lines: list[str]
    time_start: float | None = None
    time_end: float | None = None


def render_turns(
    turns: list[Turn], interviewers: Iterable[str] = ()
) -> tuple[str, list[SegmentIn]]:
    """Write turns as `Speaker : words` paragraphs; each segment covers the words only."""
    keys = interviewer_keys(tuple(interviewers))
    parts: list[str] = []
    segments: list[SegmentIn] = []
    pos = 0
    for turn in turns:
        lines = [s for s in (clean(line).strip() for line in turn.lines) if s]
        if not lines:
            continue
        body = join_lines(lines)
        speaker = " ".join(clean(turn.speaker).split()) if turn.speaker else None
        label = f"{speaker} : " if speaker else ""
        if parts:
            parts.append("\n\n")
            pos += 2
        start = pos + len(label)
        parts.append(label + body)
        pos += len(label) + len(body)
        segments.append(SegmentIn(start, pos, speaker or None,
                                  bool(speaker) and norm_name(speaker) in keys,
                                  turn.time_start, turn.time_end))
    return "".join(parts), segments
