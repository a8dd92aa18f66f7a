"""The words of every export in French and English, in one place.

French is a first-class output language: a thesis written in French needs its tables, figures,
excerpts and codebook in French without hand editing. Every label a renderer writes is a key of
:data:`WORDS`; renderers ask :func:`t` for it in the chosen :data:`Lang`.

Usage (tables, figures, excerpts, codebook renders)::

    from qualcode.i18n import Lang, number, quote, t

    t("cooc.title", "fr", group="pragmatique")   # 'Cooccurrence des codes, pragmatique'
    t("fig.scale", lang)                         # a figure note; an unknown key: KeyError
    quote("je suis là", "fr")                    # '« je suis là »' (non-breaking spaces)
    number(0.125, "fr", 3)                       # '0,125'; number(1234, "fr") -> '1 234'

Rules:
- ``t(key, lang, **fmt)`` formats the chosen string with ``str.format(**fmt)``: placeholders
  are named (``{group}``), so both languages can order the words as they need.
- French strings carry their own typography: a non-breaking space (U+00A0) before ``:``, ``;``,
  ``%``, ``?``, ``!`` and inside « »; thousands are separated by a narrow non-breaking space
  (U+202F). LaTeX output turns U+00A0 into ``~`` and U+202F into ``\\,`` (see render.tex_escape).
- ``number`` is for text (Markdown, LaTeX, Word, figure annotations). CSV, XLSX and JSON keep
  numbers as numbers whatever the language.
- The default language is English (:data:`DEFAULT_LANG`); the environment variable
  ``QUALCODE_LANG`` (``fr`` or ``en``) changes it for a whole project or shell, and ``--lang``
  on a command wins over both.
"""

from __future__ import annotations

import os
from typing import Literal, cast, get_args

Lang = Literal["fr", "en"]
LANGS: tuple[str, ...] = get_args(Lang)
DEFAULT_LANG: Lang = "en"
LANG_ENV = "QUALCODE_LANG"

NBSP = "\u00a0"  # espace insécable: before : ; % ? ! and inside « »
NNBSP = "\u202f"  # espace fine insécable: thousands separator

_ = NBSP
WORDS: dict[str, dict[str, str]] = {
    # ---- shared words
    "all": {"en": "all", "fr": "ensemble"},
    "code": {"en": "code", "fr": "code"},
    "codes": {"en": "codes", "fr": "codes"},
    "none": {"en": "none", "fr": "aucun"},
    "n/a": {"en": "n/a", "fr": "n.d."},
    "base": {"en": "Base: {text}", "fr": f"Base{_}: {{text}}"},
    "warning": {"en": "Warning: {text}", "fr": f"Attention{_}: {{text}}"},
    "note": {"en": "Note: {text}", "fr": f"Note{_}: {{text}}"},
    "coders": {"en": "coders: {names}", "fr": f"codeurs{_}: {{names}}"},
    "codebook": {"en": "codebook {label}#{fingerprint}",
                 "fr": "livre de codes {label}#{fingerprint}"},
    "rollup.yes": {"en": "sub-codes rolled up", "fr": "sous-codes agrégés au code parent"},
    "rollup.no": {"en": "codes without sub-codes", "fr": "codes sans leurs sous-codes"},
    # units, singular / plural
    "unit.segment.1": {"en": "segment", "fr": "segment"},
    "unit.segment.n": {"en": "segments", "fr": "segments"},
    "unit.document.1": {"en": "document", "fr": "document"},
    "unit.document.n": {"en": "documents", "fr": "documents"},
    "unit.agent.1": {"en": "agent", "fr": "agent"},
    "unit.agent.n": {"en": "agents", "fr": "agents"},
    # ---- provenance (a note under the table, a sheet, a JSON object)
    "prov.title": {"en": "Provenance", "fr": "Provenance"},
    "prov.sheet": {"en": "provenance", "fr": "provenance"},
    "prov.date": {"en": "date", "fr": "date"},
    "prov.codebook": {"en": "codebook", "fr": "livre de codes"},
    "prov.coders": {"en": "coders", "fr": "codeurs"},
    "prov.field": {"en": "field", "fr": "champ"},
    "prov.value": {"en": "value", "fr": "valeur"},
    "prov.command": {"en": "command", "fr": "commande"},
    "prov.made": {"en": "Made on {date} with codebook {codebook}",
                  "fr": "Produit le {date} avec le livre de codes {codebook}"},
    "prov.run": {"en": "command: {command}", "fr": f"commande{_}: {{command}}"},
    "sep": {"en": "; ", "fr": f"{_}; "},
    # ---- co-occurrence
    "cooc.title": {"en": "Code co-occurrence, {group}", "fr": "Cooccurrence des codes, {group}"},
    "cooc.where": {"en": "{by} = {group}", "fr": "{by} = {group}"},
    "cooc.base": {"en": "{units} ({where}); measure: {measure}; {coders}; {rollup}",
                  "fr": f"{{units}} ({{where}}){_}; mesure{_}: {{measure}}{_}; {{coders}}{_}; "
                        "{rollup}"},
    "measure.count": {"en": "count (units)", "fr": "effectif (unités)"},
    "measure.jaccard": {"en": "jaccard (c-coefficient)", "fr": "jaccard (coefficient c)"},
    "measure.row-pct": {"en": "row % (n_ij / n_i)", "fr": f"%{_}en ligne (n_ij / n_i)"},
    "cooc.imbalance": {
        "en": "{a} (n={na}) and {b} (n={nb}) co-occur {nab} times but their frequencies differ "
              "more than {ratio} times: the c-coefficient (jaccard) understates the link",
        "fr": "{a} (n={na}) et {b} (n={nb}) sont cooccurrents {nab} fois mais leurs fréquences "
              f"diffèrent de plus de {{ratio}} fois{_}: le coefficient c (jaccard) sous-estime "
              "le lien"},
    "cooc.diagonal": {"en": "the diagonal counts the units where the code is present",
                      "fr": "la diagonale compte les unités où le code est présent"},
    # ---- crosstab
    "xt.title": {"en": "Codes by {by} ({what})", "fr": "Codes par {by} ({what})"},
    "xt.what.segments": {"en": "segments", "fr": "segments"},
    "xt.what.agents": {"en": "distinct agents", "fr": "agents distincts"},
    "xt.n": {"en": "{group} (n={n})", "fr": "{group} (n={n})"},
    "xt.row_pct": {"en": "{group} row %", "fr": f"{{group}} %{_}ligne"},
    "xt.col_pct": {"en": "{group} col %", "fr": f"{{group}} %{_}colonne"},
    "xt.base": {"en": "{what} per code and {by}; n = {what} of the group; row % over the "
                      "(total) column, col % over n; {unassigned} belong to no {by} group "
                      "(interviewer turns, unknown speakers, agents without {by}) and are "
                      "left out; {coders}",
                "fr": f"{{what}} par code et par {{by}}{_}; n = {{what}} du groupe{_}; "
                      f"%{_}ligne sur la colonne (total), %{_}colonne sur n{_}; "
                      f"{{unassigned}} n’appartiennent à aucun groupe de {{by}} (tours de "
                      "l’enquêteur, locuteurs inconnus, agents sans {by}) et sont exclus"
                      f"{_}; {{coders}}"},
    "xt.overlap": {
        "en": "groups overlap: {shared} of the {total} {units} of the table belong to {which} "
              "(for instance an observation paragraph belongs to every agent of its note), so "
              "the group sizes add up to {sum}, not {total}, and row % can sum over 100",
        "fr": f"les groupes se recouvrent{_}: {{shared}} des {{total}} {{units}} du tableau "
              "appartiennent à {which} (par exemple, un paragraphe d’observation appartient à "
              f"chaque agent de sa note){_}; la somme des effectifs des groupes vaut donc {{sum}} "
              f"et non {{total}}, et les %{_}ligne peuvent dépasser 100"},
    "xt.overlap.both": {"en": "both {a} and {b}", "fr": "la fois à {a} et à {b}"},
    "xt.overlap.many": {"en": "more than one {by} group ({pairs})",
                        "fr": "plusieurs groupes de {by} ({pairs})"},
    "xt.overlap.pair": {"en": "{a} and {b}: {n}", "fr": f"{{a}} et {{b}}{_}: {{n}}"},
    # ---- agreement
    "ag.title": {"en": "Agreement between {a} and {b}", "fr": "Accord entre {a} et {b}"},
    "ag.sheet": {"en": "agreement", "fr": "accord"},
    "ag.dis.sheet": {"en": "disagreements", "fr": "désaccords"},
    "ag.dis.title": {"en": "Disagreements between {a} and {b}",
                     "fr": "Désaccords entre {a} et {b}"},
    "ag.both": {"en": "both", "fr": "les deux"},
    "ag.only": {"en": "only {coder}", "fr": "seulement {coder}"},
    "ag.neither": {"en": "neither", "fr": "aucun"},
    "ag.percent": {"en": "agreement %", "fr": "accord (%)"},
    "ag.ci": {"en": "{stat} [95% CI]", "fr": f"{{stat}} [IC à 95{_}%]"},
    "ag.prevalence": {"en": "prevalence {coder} %", "fr": "prévalence {coder} (%)"},
    "ag.mean_prevalence": {"en": "mean prevalence %", "fr": "prévalence moyenne (%)"},
    "ag.overall": {"en": "(overall, pooled)", "fr": "(ensemble, regroupé)"},
    "ag.document": {"en": "document", "fr": "document"},
    "ag.segment": {"en": "segment", "fr": "segment"},
    "ag.coded_by": {"en": "coded by", "fr": "codé par"},
    "ag.base": {"en": "{units} (non-interviewer turns of the {docs} both coders coded); "
                      "coders: {a}, {b}",
                "fr": f"{{units}} (tours hors enquêteur des {{docs}} codés par les deux "
                      f"codeurs){_}; codeurs{_}: {{a}}, {{b}}"},
    "ag.bootstrap": {"en": "95% CI: percentile bootstrap, {n} resamples of the segments, "
                           "seed {seed}",
                     "fr": f"IC à 95{_}%{_}: bootstrap des percentiles, {{n}} rééchantillonnages "
                           "des segments, graine {seed}"},
    "ag.paradox": {
        "en": "mean prevalence under 5% or over 95% for {codes}: kappa (and alpha) are unstable "
              "there and can be low despite high agreement (the kappa paradox); read AC1 and the "
              "agreement % alongside",
        "fr": f"prévalence moyenne inférieure à 5{_}% ou supérieure à 95{_}% pour {{codes}}{_}: "
              "le kappa (et l’alpha) y sont instables et peuvent être faibles malgré un fort "
              f"accord (paradoxe du kappa){_}; lire aussi l’AC1 et le %{_}d’accord"},
    "ag.dis.base": {"en": "{n} segment x code decisions where only one coder applied the code",
                    "fr": "{n} décisions segment × code où un seul codeur a appliqué le code"},
    "ag.dis.first": {
        "en": "the first {listed} of {total} segment x code decisions where only one coder "
              "applied the code (--limit N lists more, --all every one)",
        "fr": "les {listed} premières des {total} décisions segment × code où un seul codeur "
              "a appliqué le code (--limit N en liste davantage, --all toutes)"},
    # ---- excerpts
    "ex.title": {"en": "Excerpts", "fr": "Extraits"},
    "ex.interviewer": {"en": "interviewer", "fr": "enquêteur"},
    "ex.fieldnote": {"en": "observation note", "fr": "note d’observation"},
    "ex.codes": {"en": "codes: {codes}", "fr": f"codes{_}: {{codes}}"},
    "ex.document": {"en": "document", "fr": "document"},
    "ex.segment": {"en": "segment", "fr": "segment"},
    "ex.speaker": {"en": "speaker", "fr": "locuteur"},
    "ex.agents": {"en": "agents", "fr": "agents"},
    "ex.coders": {"en": "coders", "fr": "codeurs"},
    "ex.quote": {"en": "excerpt", "fr": "extrait"},
    "ex.source": {"en": "source", "fr": "source"},
    "ex.text": {"en": "text", "fr": "texte"},
    "ex.sheet": {"en": "excerpts", "fr": "extraits"},
    # ---- codebook renders (the YAML and .qdc exports are data: their keys never change)
    "cb.title": {"en": "Codebook", "fr": "Livre de codes"},
    "cb.versioned": {"en": "{title} (version {version})", "fr": "{title} (version {version})"},
    "cb.definition": {"en": "Definition", "fr": "Définition"},
    "cb.inclusion": {"en": "Inclusion", "fr": "Critères d’inclusion"},
    "cb.exclusion": {"en": "Exclusion", "fr": "Critères d’exclusion"},
    "cb.examples": {"en": "Examples", "fr": "Exemples"},
    "cb.keywords": {"en": "Keywords", "fr": "Mots-clés"},
    "cb.colour": {"en": "Colour", "fr": "Couleur"},
    "cb.category": {"en": "Category", "fr": "Catégorie"},
    "cb.not_coded": {"en": "not coded directly", "fr": "non codée directement"},
    "cb.comment": {"en": "Codebook exported by qualcode; \\input{{}} it in the appendix.",
                   "fr": f"Livre de codes exporté par qualcode{_}; à inclure en annexe par "
                         "\\input{{}}."},
    # ---- figures (export/plot.py: heatmaps; bar.*: export/bars.py; net.*: export/network.py)
    "fig.segment": {"en": "segments", "fr": "segments"},
    "fig.document": {"en": "documents", "fr": "documents"},
    "fig.agent": {"en": "participants", "fr": "participants"},
    "fig.all": {"en": "all", "fr": "ensemble"},
    "fig.count.bar": {"en": "{units} coded with both", "fr": "{units} codés par les deux"},
    "fig.jaccard.bar": {"en": "Jaccard (c-coefficient)", "fr": "Jaccard (coefficient c)"},
    "fig.row-pct.bar": {"en": "% of the row code's {units}",
                    "fr": "% des {units} du code en ligne"},
    "fig.diagonal": {"en": "Grey diagonal: {units} coded with the code (its frequency)",
                 "fr": f"Diagonale grise{NBSP}: {{units}} codés par le code (sa fréquence)"},
    "fig.title": {"en": "{where}: {n} {units}", "fr": f"{{where}}{NBSP}: {{n}} {{units}}"},
    "fig.title.all": {"en": "All {units}: {n}", "fr": f"Ensemble des {{units}}{NBSP}: {{n}}"},
    "fig.scale": {"en": "colour scale shared by the groups",
              "fr": "échelle de couleur commune aux groupes"},
    "bar.segments": {"en": "segments", "fr": "segments"},
    "bar.agents": {"en": "participants", "fr": "participants"},
    "bar.count": {"en": "{units} coded", "fr": "{units} codés"},
    "bar.col": {"en": "% of the group's {units}", "fr": "% des {units} du groupe"},
    "bar.row": {"en": "% of the code's {units}", "fr": "% des {units} du code"},
    "bar.title": {"en": "Codes by {by}", "fr": "Codes par {by}"},
    "bar.legend": {"en": "{group} (n = {n})", "fr": f"{{group}} (n{NBSP}={NBSP}{{n}})"},
    "bar.note.row": {"en": "A unit in two groups counts in both: shares may add up to over 100 %.",
                 "fr": f"Une unité de deux groupes compte dans les deux{NBSP}: les parts "
                       f"peuvent dépasser 100{NBSP}% au total."},
    "net.note": {"en": "Node area: {units} coded with the code (largest: {top}).\n"
                   "Edges: Jaccard, shown from {threshold}; width and colour grow with it "
                   "(darkest: {strongest}).",
             "fr": f"Aire des nœuds{NBSP}: {{units}} codés par le code (le plus grand{NBSP}: "
                   f"{{top}}).\nLiens{NBSP}: Jaccard, affiché à partir de {{threshold}}"
                   f"{NBSP}; épaisseur et couleur croissent avec lui (le plus foncé"
                   f"{NBSP}: {{strongest}})."},
    "net.none": {"en": "no pair reaches Jaccard {threshold}",
             "fr": "aucune paire n’atteint un Jaccard de {threshold}"},
    # ---- the permutation test of co-occurrence per group
    "perm.title": {"en": "Is the gap between {by} groups more than chance?",
                   "fr": f"L’écart entre les groupes {{by}} dépasse-t-il le hasard{_}?"},
    "perm.code_a": {"en": "code A", "fr": "code A"},
    "perm.code_b": {"en": "code B", "fr": "code B"},
    "perm.gap": {"en": "gap", "fr": "écart"},
    "perm.p_holm": {"en": "p Holm", "fr": "p Holm"},
    "perm.small": {"en": "small cells", "fr": "petits effectifs"},
    "perm.yes": {"en": "yes", "fr": "oui"},
    "perm.share": {"en": "the % of the group's units coded with both codes",
                   "fr": "le % des unités du groupe codées par les deux codes"},
    "perm.jaccard": {"en": "the Jaccard coefficient of the pair in each group",
                     "fr": "le coefficient de Jaccard de la paire dans chaque groupe"},
    "perm.exact": {"en": "exact, all {n} arrangements", "fr": "exact, les {n} arrangements"},
    "perm.random": {"en": "{n} random arrangements, seed {seed}; p = (1 + arrangements at least "
                          "as far apart) / (1 + arrangements)",
                    "fr": f"{{n}} arrangements tirés au hasard, graine {{seed}}{_}; p = (1 + "
                          "arrangements au moins aussi éloignés) / (1 + arrangements)"},
    "perm.base": {"en": "permutation test of the {by} labels of the {unit}s ({how}); columns per "
                        "group: {what}; gap: the largest between two groups; p Holm adjusts for "
                        "the {pairs} pairs tested",
                  "fr": f"test de permutation des étiquettes {{by}} des unités ({{unit}}) "
                        f"({{how}}){_}; colonnes par groupe{_}: {{what}}{_}; écart{_}: le plus "
                        f"grand entre deux groupes{_}; p Holm corrige pour les {{pairs}} "
                        "paires testées"},
    "perm.small_note": {"en": "small cells (fewer than 5 units with both codes expected in a "
                              "group) for {k} of {pairs} pairs ({names}): the p-value stays "
                              "valid, but a gap there rests on a handful of units",
                        "fr": f"petits effectifs (moins de 5 unités attendues avec les deux codes "
                              f"dans un groupe) pour {{k}} des {{pairs}} paires ({{names}}){_}: "
                              "la p-valeur reste valable, mais l’écart y repose sur une "
                              "poignée d’unités"},
    "perm.segments_note": {"en": "segments of one participant are not independent: permuting "
                                 "segments treats them as if they were, so p-values come out "
                                 "too small; --unit agent permutes the participants themselves",
                           "fr": f"les segments d’une même personne ne sont pas indépendants{_}: "
                                 "les permuter les traite comme s’ils l’étaient, et les "
                                 f"p-valeurs sortent trop petites{_}; --unit agent permute les "
                                 "personnes elles-mêmes"},
}


MONTHS = {"en": ("January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December"),
          "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                 "septembre", "octobre", "novembre", "décembre")}


def date_text(iso: str, lang: Lang = DEFAULT_LANG) -> str:
    """An ISO timestamp for a reader: ``6 December 2026, 05:36 (UTC+01:00)`` or
    ``6 décembre 2026 à 05:36 (UTC+01:00)``; text that is not ISO stays as it is."""
    from datetime import datetime

    try:
        when = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso
    day = f"{when.day} {MONTHS[lang][when.month - 1]} {when.year}"
    clock = f"{when:%H:%M}"
    zone = f" (UTC{when:%z})" if when.utcoffset() is not None else ""
    if zone:
        zone = f"{zone[:-3]}:{zone[-3:]}"  # +0100 -> +01:00
    return f"{day}, {clock}{zone}" if lang == "en" else f"{day} à {clock}{zone}"


def lang_of(value: str | None) -> Lang:
    """The language to use: ``value`` (from --lang) if given, else ``$QUALCODE_LANG``, else
    English. Raises InvalidInput for anything but fr or en."""
    chosen = value or os.environ.get(LANG_ENV) or DEFAULT_LANG
    chosen = chosen.strip().lower()
    if chosen not in LANGS:
        from .errors import InvalidInput

        source = "--lang" if value else LANG_ENV
        raise InvalidInput(f"unknown language {chosen!r} in {source}", "use fr or en")
    return cast(Lang, chosen)


def t(key: str, lang: Lang = DEFAULT_LANG, **fmt: object) -> str:
    """The words of ``key`` in ``lang``, formatted with the named ``fmt`` values."""
    return WORDS[key][lang].format(**fmt)


def quote(text: str, lang: Lang = DEFAULT_LANG) -> str:
    """``« text »`` with non-breaking spaces in French, ``“text”`` in English."""
    if lang == "fr":
        return f"«{NBSP}{text}{NBSP}»"
    return f"“{text}”"


def number(x: float | int | None, lang: Lang = DEFAULT_LANG, digits: int = 0,
           grouping: bool = True) -> str:
    """``x`` as text with ``digits`` decimals: ``1,234.5`` in English, ``1 234,5`` in French
    (narrow non-breaking space, decimal comma); integers stay integers; None is n/a;
    ``grouping=False`` leaves out the thousands separator."""
    if x is None:
        return t("n/a", lang)
    if isinstance(x, bool):
        x = int(x)
    sep = "," if grouping else ""
    text = f"{x:{sep}}" if isinstance(x, int) else f"{x:{sep}.{digits}f}"
    if lang == "fr":
        text = text.replace(",", NNBSP).replace(".", ",")
    return text


def count(n: int, unit: str, lang: Lang = DEFAULT_LANG) -> str:
    """``1 segment``, ``12 segments`` (``unit``: segment, document or agent)."""
    singular = n == 1 or (lang == "fr" and n == 0)  # French: « 0 segment »
    return f"{number(n, lang)} {t(f'unit.{unit}.' + ('1' if singular else 'n'), lang)}"
