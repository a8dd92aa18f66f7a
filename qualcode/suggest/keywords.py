"""The keyword scorer (`qualcode.keywords.v4`): codebook keywords matched on lemmas.

Each keyword is lemmatised alone; a keyword with a word that may be a past participle is also
lemmatised inside a short carrier sentence (spaCy tags an isolated `déqualifiés` as a noun with
lemma `déqualifié`, in a sentence as the verb `déqualifier`). Each word keeps every lemma and
form seen, plus the participle forms of `-er`/`-ir` verbs. (v2 parsed the carrier for every
keyword: for infinitives and nouns it only added noise such as `usine` -> `usiner`, and it was
two thirds of the codebook's parsing time.) A segment token matches a keyword word when its
lemma or its form is one of them (all folded: case and accents ignored).

What the matcher supports:
- one word: any inflection (`déqualifier` ~ `déqualifiés`, `déqualifiée`, `déqualifions`);
- an expression with two content words or more: its content words in order, each within three
  tokens of the previous one, inside one sentence (`perdre le sens` ~ `on a perdu tout le
  sens`; not `le sens perdu`);
- an expression with at most one content word (`pour rien`, `à quoi bon`, `en ligne`): every
  word, contiguous, inflected.
Negation (`_negated`), inside one clause (stopped by `, ; : . ! ?` and by `mais`, `et`,
`donc`, `puis`, `que`): `ne` + clitics + the matched verb + `pas/plus/jamais...`; `ne` +
clitics and at most two other words (the conjugated verb) + the adverb + at most two words +
the match; a negative subject (`personne ne`, `rien ne`, `aucun chef ne`) before the verb
group; a colloquial `pas`/`jamais` after `être`/`avoir` right before it; `sans` right before
it; `sans`, `ne`, `pas` or `jamais` inside an expression's span (`service … public` in `un
service sans public`). A negated match is flagged; reliability.py learns what it is worth.
A keyword that is itself negative (`ne servir à rien`, `sans solution`) is never "negated";
one written with `ne` and a negative word
(`ne plus s’y retrouver`) matches its other words in order, with `pas/plus/jamais` and
`être`/`avoir` allowed in between and the reflexive clitics (`me`, `te`, `se`, `nous`, `vous`)
alike, and only where a negation surrounds it (`je ne m’y retrouve plus`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .analysis_cache import NEG_ADV, NEG_NE, NEG_SANS, PUNCT, SPACE, STOP, Analysis

NAME = "qualcode.keywords.v4"
CARRIERS = ("On nous a {} hier.",)  # a noun carrier changed no match on the demo corpus
# Endings of French past participles (`déclassé`, `servi`, `perdu`, `mis`, `dit`, `ouvert`,
# `peint`), inflected: a keyword word ending so may be a verb that spaCy misreads alone.
# (`-u` after a vowel, `q` or `g` is `tableau`, `statistique`, `langue`: never a participle.)
PARTICIPLE = re.compile(r"(?:é|i|(?<![aeiouqg])u|is|it|ert|int)(?:e|es|s)?$", re.IGNORECASE)
# Participles among spaCy's French stop words (other stop words never need a carrier).
STOP_PARTICIPLES = frozenset({"vu", "vue", "vus", "vues", "dit", "dite", "dits", "dites",
                              "fait", "faite", "faits", "faites", "pu", "ete", "compris",
                              "attendu", "ouvert", "ouverte", "ouverts", "ouvertes"})
MAX_GAP = 3
SENTENCE_END = frozenset({".", "!", "?", ";", ":", "…"})
LIGHT_VERBS = frozenset({"etre", "avoir"})
# Clause boundaries for negation: a `ne ... pas` never reaches across them.
CLAUSE_PUNCT = SENTENCE_END | {","}
CONJUNCTIONS = frozenset({"mais", "et", "donc", "puis", "que", "qu'"})
NEG_WINDOW = 8  # tokens looked at before the match
MAX_VERB_WORDS = 2  # non-clitic words between `ne` and its adverb (the conjugated verb)
MAX_AFTER_ADV = 3  # from the negative adverb to the match
NEG_SUBJECTS = frozenset({"personne", "rien", "aucun", "aucune", "nul", "nulle"})
DETERMINERS = frozenset({"la", "l'", "une", "cette", "chaque", "toute", "quelque"})
# Adverbs that move around the verb (`ne plus s'y retrouver` ~ `je ne m'y retrouve plus`);
# `rien`, `personne`, `aucun` are objects and keep their place in a keyword.
MOVING_ADVERBS = frozenset({"pas", "plus", "jamais", "guere", "point"})
INSIDE_NEGATION = frozenset({"ne", "n'", "pas", "jamais"})  # `plus` inside is `de plus en plus`
COLLOQUIAL = frozenset({"pas", "jamais", "rien"})
REFLEXIVES = frozenset({"me", "m'", "te", "t'", "se", "s'", "nous", "vous"})
CLITICS = frozenset({"me", "m'", "te", "t'", "se", "s'", "nous", "vous", "le", "la", "l'",
                     "les", "lui", "leur", "y", "en", "il", "elle", "on", "je", "j'", "c'",
                     "ca", "cela", "ce"})


@dataclass(frozen=True)
class Pattern:
    code_id: int
    keyword: str
    slots: tuple[frozenset[str], ...]  # variants per matched word
    gapped: bool  # content words in order with gaps, else contiguous
    negative: bool  # the keyword itself carries a negation
    # written with `ne` + a negative word: matches only inside a negation, with moving
    # adverbs and auxiliaries allowed between its words
    needs_negation: bool = False


@dataclass
class Match:
    code_id: int
    keyword: str
    first: int  # token index
    last: int  # token index, inclusive
    negated: bool


@dataclass
class KeywordIndex:
    patterns: list[Pattern] = field(default_factory=list)
    by_first: dict[str, list[Pattern]] = field(default_factory=dict)

    def add(self, pattern: Pattern) -> None:
        self.patterns.append(pattern)
        for variant in pattern.slots[0]:
            self.by_first.setdefault(variant, []).append(pattern)


def carrier_texts(keyword: str, alone: Analysis) -> list[str]:
    """The carrier sentences to lemmatise besides ``keyword`` itself (``alone`` is its own
    analysis): none unless one of its words may be a past participle."""
    if any(alone.forms[i] in STOP_PARTICIPLES if alone.flags[i] & STOP
           else PARTICIPLE.search(keyword[alone.starts[i]:alone.ends[i]])
           for i in range(len(alone)) if not alone.flags[i] & (PUNCT | SPACE)):
        return [c.format(keyword) for c in CARRIERS]
    return []


def _participles(lemma: str) -> set[str]:
    if len(lemma) > 4 and lemma.endswith("er"):
        stem = lemma[:-2]
        return {stem + "e", stem + "ee", stem + "es", stem + "ees"}
    if len(lemma) > 4 and lemma.endswith("ir"):
        stem = lemma[:-2]
        return {stem + "i", stem + "ie", stem + "is", stem + "ies"}
    return set()


def compile_keyword(code_id: int, keyword: str, alone: Analysis,
                    carriers: Iterable[Analysis] = ()) -> Pattern | None:
    """A pattern from the analysis of ``keyword`` alone and those of its
    ``carrier_texts`` (same order)."""
    keep = [i for i in range(len(alone)) if not alone.flags[i] & (PUNCT | SPACE)]
    if not keep:
        return None
    slots: list[set[str]] = []
    by_offset: dict[int, int] = {}
    for n, i in enumerate(keep):
        slots.append({alone.lemmas[i], alone.forms[i]})
        by_offset[int(alone.starts[i])] = n
    for template, analysis in zip(CARRIERS, carriers, strict=False):
        prefix = template.index("{}")
        for i in range(len(analysis)):
            n = by_offset.get(int(analysis.starts[i]) - prefix)
            if n is not None:
                slots[n].add(analysis.lemmas[i])
    for slot in slots:
        for lemma in list(slot):
            slot |= _participles(lemma)
    for slot in slots:
        if slot & REFLEXIVES:  # `se débrouiller` ~ `je me débrouille`
            slot |= REFLEXIVES
    stop = [bool(alone.flags[i] & STOP) for i in keep]
    negative = any(alone.flags[i] & (NEG_NE | NEG_ADV | NEG_SANS) for i in keep)
    # `ne plus s'y retrouver`: French puts `ne` before the clitics and the adverb after the
    # verb, so the negation words leave the pattern and become a condition on the match.
    needs_negation = (any(alone.flags[i] & NEG_NE for i in keep)
                      and any(alone.flags[i] & NEG_ADV for i in keep))
    if needs_negation:
        kept = [n for n, i in enumerate(keep) if not alone.flags[i] & NEG_NE
                and not (alone.flags[i] & NEG_ADV and alone.forms[i] in MOVING_ADVERBS)]
        slots = [slots[n] for n in kept]
        stop = [stop[n] for n in kept]
        if not slots:
            return None
    content = [frozenset(s) for s, is_stop in zip(slots, stop, strict=True) if not is_stop]
    if len(content) >= 2:
        return Pattern(code_id, keyword, tuple(content), True, negative, needs_negation)
    return Pattern(code_id, keyword, tuple(frozenset(s) for s in slots), False, negative,
                   needs_negation)


class _Tokens:
    """The matcher's view of an analysis: flags as a Python list (indexing a numpy array
    element by element costs about ten times more)."""

    __slots__ = ("lemmas", "forms", "flags")

    def __init__(self, a: Analysis) -> None:
        self.lemmas, self.forms, self.flags = a.lemmas, a.forms, a.flags.tolist()

    def __len__(self) -> int:
        return len(self.lemmas)


def _hit(a: _Tokens, i: int, slot: frozenset[str]) -> bool:
    return a.lemmas[i] in slot or a.forms[i] in slot


def _breaks(a: _Tokens, i: int) -> bool:
    return bool(a.flags[i] & PUNCT) and a.forms[i] in SENTENCE_END


def _boundary(a: _Tokens, i: int) -> bool:
    """A clause boundary: no negation reaches across it."""
    form = a.forms[i]
    return form in CONJUNCTIONS or (bool(a.flags[i] & PUNCT) and form in CLAUSE_PUNCT)


def _skippable(a: _Tokens, i: int) -> bool:
    """Between the words of a negative keyword: `pas`, `plus`, `jamais`, an auxiliary."""
    return a.forms[i] in MOVING_ADVERBS or a.lemmas[i] in LIGHT_VERBS


def _match_at(a: _Tokens, i: int, p: Pattern) -> int | None:
    """Index of the last token when ``p`` matches from token ``i``, else None."""
    n = len(a)
    if p.needs_negation and not p.gapped:
        j = i
        for slot in p.slots[1:]:
            j += 1
            while j < n and not _hit(a, j, slot) and _skippable(a, j):
                j += 1
            if j >= n or not _hit(a, j, slot):
                return None
        return j
    if not p.gapped:
        last = i + len(p.slots) - 1
        if last >= n:
            return None
        for k, slot in enumerate(p.slots[1:], 1):
            if not _hit(a, i + k, slot):
                return None
        return last
    j = i
    for slot in p.slots[1:]:
        for k in range(j + 1, min(n, j + 2 + MAX_GAP)):
            if _breaks(a, k):
                return None
            if _hit(a, k, slot):
                j = k
                break
        else:
            return None
    return j


def _clause_start(a: _Tokens, first: int) -> int:
    """The first token of the window looked at before ``first``: at most NEG_WINDOW tokens,
    never across a clause boundary."""
    lo = first
    while lo > 0 and first - lo < NEG_WINDOW and not _boundary(a, lo - 1):
        lo -= 1
    return lo


def _clause_end(a: _Tokens, last: int, width: int) -> int:
    """One past the last of at most ``width`` tokens after ``last`` in the same clause."""
    hi = last + 1
    while hi < len(a) and hi - last <= width and not _boundary(a, hi):
        hi += 1
    return hi


def _negated(a: _Tokens, first: int, last: int) -> bool:
    """Whether a negation bears on the match ``first..last`` (see the module docstring)."""
    flags, lemmas, forms = a.flags, a.lemmas, a.forms
    # `sans`, `ne`, `pas`, `jamais` inside an expression's span: `un service sans public`
    if any(flags[k] & NEG_SANS or forms[k] in INSIDE_NEGATION for k in range(first + 1, last)):
        return True
    lo = _clause_start(a, first)
    # `sans` right before the match
    if any(flags[k] & NEG_SANS for k in range(max(lo, first - 2), first)):
        return True
    ne = [k for k in range(lo, first) if flags[k] & NEG_NE]
    if ne:
        k0 = ne[-1]
        # ne + (clitics) + match + pas: the matched word is the negated verb
        if all(forms[k] in CLITICS for k in range(k0 + 1, first)) and any(
                flags[k] & NEG_ADV for k in range(last + 1, _clause_end(a, last, 2))):
            return True
        # ne + clitics and up to two words (the verb) + pas + up to two words + match
        for k in range(k0 + 1, first):
            if flags[k] & NEG_ADV:
                words = sum(1 for m in range(k0 + 1, k) if forms[m] not in CLITICS)
                return words <= MAX_VERB_WORDS and first - k <= MAX_AFTER_ADV
        # personne ne / rien ne / aucun chef ne + (clitics) + verb group + match
        subject = any(forms[k] in NEG_SUBJECTS and not (k > 0 and forms[k - 1] in DETERMINERS)
                      for k in range(max(lo, k0 - 2), k0)
                      if k == k0 - 1 or forms[k] in ("aucun", "aucune", "nul", "nulle"))
        if subject:
            words = sum(1 for m in range(k0 + 1, first) if forms[m] not in CLITICS)
            return words <= MAX_VERB_WORDS
        return False
    # colloquial: c'est pas / j'ai jamais + match
    for k in range(max(lo, first - 3), first):
        if flags[k] & NEG_ADV and forms[k] in ("pas", "jamais") and k > 0 and (
                lemmas[k - 1] in LIGHT_VERBS):
            return True
    return False


def _negation_around(a: _Tokens, first: int, last: int) -> bool:
    """For a keyword written with its negation: `ne` before the match (clitics, negative
    words and at most two other words in between: `on ne peut plus s'y retrouver`) and a
    negative word from there to two tokens after the match, or a colloquial `pas`, `jamais`
    or `rien` in the match or just after it, all in one clause."""
    flags, forms = a.flags, a.forms
    hi = _clause_end(a, last, 2)
    words = 0
    for k0 in range(first - 1, _clause_start(a, first) - 1, -1):
        if flags[k0] & NEG_NE:
            return any(flags[k] & NEG_ADV for k in range(k0 + 1, hi))
        if forms[k0] not in CLITICS and not flags[k0] & NEG_ADV:
            words += 1
            if words > MAX_VERB_WORDS:
                break
    return any(forms[k] in COLLOQUIAL for k in range(first, hi))


def match(a: Analysis, index: KeywordIndex) -> list[Match]:
    """Every keyword match in ``a``, leftmost first, one per (pattern, start token)."""
    out: list[Match] = []
    by_first = index.by_first
    # Most tokens start no keyword: find the few that do with dictionary lookups only.
    starts = [i for i, (lemma, form) in enumerate(zip(a.lemmas, a.forms, strict=True))
              if lemma in by_first or form in by_first]
    if not starts:
        return out
    seen: set[tuple[int, str, int]] = set()
    # Most segments hold no negation word at all: then no match can be negated.
    may_negate = bool((a.flags & (NEG_NE | NEG_ADV | NEG_SANS)).any())
    a = _Tokens(a)  # type: ignore[assignment]
    flags = a.flags
    # An expression whose other words are absent from the segment cannot match: checked
    # once per expression (common first words such as `a`, `faire`, `ne` start many).
    present: set[str] | None = None
    possible: dict[int, bool] = {}
    for i in starts:
        if flags[i] & (PUNCT | SPACE):
            continue
        lemma, form = a.lemmas[i], a.forms[i]
        candidates = by_first.get(lemma, ())
        if form != lemma:
            more = by_first.get(form, ())
            candidates = [*candidates, *more] if candidates and more else (candidates or more)
        for p in candidates:
            if len(p.slots) > 1:
                ok = possible.get(id(p))
                if ok is None:
                    if present is None:
                        present = set(a.lemmas)
                        present.update(a.forms)
                    ok = possible[id(p)] = all(not slot.isdisjoint(present)
                                               for slot in p.slots[1:])
                if not ok:
                    continue
            key = (p.code_id, p.keyword, i)
            if key in seen:
                continue
            last = _match_at(a, i, p)
            if last is None:
                continue
            seen.add(key)
            if p.needs_negation and not (may_negate and _negation_around(a, i, last)):
                continue
            negated = may_negate and not p.negative and _negated(a, i, last)
            out.append(Match(p.code_id, p.keyword, i, last, negated))
    return out
