"""`suggest` and `review`: spaCy-assisted code suggestions and the one-key review loop."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from .common import CoderOpt, JsonOpt, console, err_console, escape, info, print_json, session

if TYPE_CHECKING:
    from ..suggest.review import Item

MinScoreOpt = Annotated[float | None, typer.Option(
    "--min-score", min=0.0, max=1.0,
    help="Keep suggestions scoring at least this (0-1; default 0.2, every candidate with about "
    "1 chance in 5 or more). With --evaluate: the decision threshold (default 1/3, where a "
    "suggestion is proposed).")]
CodeFilter = Annotated[list[str] | None, typer.Option(
    "--code", help="Only this code and its sub-codes (repeatable).")]


def suggest(
    documents: Annotated[list[str] | None, typer.Argument(
        help="Documents to suggest codes for (default: all).")] = None,
    code: CodeFilter = None,
    min_score: MinScoreOpt = None,
    interviewer: Annotated[bool, typer.Option(
        "--interviewer", help="Also suggest codes for interviewer turns.")] = False,
    evaluate: Annotated[bool, typer.Option(
        "--evaluate", help="Measure precision/recall/F1 against a coder's codings instead, "
        "next to a plain keyword lookup.")] = False,
    coder: Annotated[str | None, typer.Option(
        "--coder", "-c", help="With --evaluate: the coder whose codings are the reference "
        "(default: the coder with most codings).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Compute and store code suggestions with their evidence (never codings).

    The suggestions form a queue ranked by a calibrated probability: `qualcode review` walks
    it from the most likely. Example: qualcode suggest entretien_01.txt --min-score 0.3
    """
    from ..suggest.scoring import DECISION, DEFAULT_MIN_SCORE

    if evaluate:
        _evaluate(coder, DECISION if min_score is None else min_score, json_)
        return
    from ..suggest.service import suggest as run
    from ..suggest.service import summary

    threshold = DEFAULT_MIN_SCORE if min_score is None else min_score
    stats: dict[str, Any] = {}
    from .common import database

    db = database(create=False)
    # Read in one transaction, write in short ones: a colleague's `code apply` never waits
    # for the whole run (a long suggest used to hold the write lock from start to end).
    with db.session() as s, _progress(json_) as progress:
        rows = run(s, documents=documents or None, codes=code or None, min_score=threshold,
                   include_interviewer=interviewer, progress=progress, stats=stats,
                   evidence_rows=json_, db=db)
    if json_:
        print_json(rows)
        return
    from rich.table import Table

    table = Table("code", "suggestions", f"of which ≥ {DECISION:.2f}")
    likely: dict[str, int] = {}
    for r in rows:
        likely[r["code"]] = likely.get(r["code"], 0) + (r["score"] >= DECISION)
    for name, n in summary(rows).items():
        table.add_row(escape(name), str(n), str(likely.get(name, 0)))
    console().print(table)
    info(f"{len(rows)} suggestions on {stats['segments']} segments "
         f"({stats['parsed']} texts parsed, {stats['cached']} from the cache). "
         "Review them with `qualcode review`, the most likely first.")
    if stats.get("interviewer_removed"):
        n = stats["interviewer_removed"]
        info(f"Removed {n} pending suggestion{'s' if n != 1 else ''} on interviewer turns "
             "(left by an earlier `suggest --interviewer`; add --interviewer to keep them).")
    if not rows and stats["segments"]:
        info(f"No suggestion reached --min-score {threshold}: no keyword of the codebook "
             "matched. Check the codebook with `qualcode codebook check`.")
    check = stats.get("calibrator")
    if check is not None and check.f1_default is not None:
        verdict = "used" if check.used else "not used"
        info(f"Calibrator trained on your decisions {verdict}: on held-out documents "
             f"micro-F1 {check.f1_trained:.2f} against {check.f1_default:.2f} without it.")
    meaning = acceptance_line(stats.get("acceptance") or [], DECISION)
    if meaning:
        info(meaning)


def acceptance_line(bands: list[dict[str, Any]], low: float) -> str | None:
    """What a score has meant so far: the share accepted among decided suggestions."""
    won = sum(b["accepted"] for b in bands if b["low"] >= low - 1e-9)
    decided = sum(b["decided"] for b in bands if b["low"] >= low - 1e-9)
    if decided < 5:
        return None
    return (f"So far {won} of {decided} decided suggestions scoring {low:.2f} or more were "
            f"accepted (about {round(10 * won / decided)} in 10).")


class _progress:
    """A rich progress bar on stderr while segments are analysed and scored."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> Any:
        import sys

        if self.quiet or not sys.stderr.isatty():  # logs and pipes get no bar, no blank line
            return None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.bar = Progress("[progress.description]{task.description}", BarColumn(),
                            MofNCompleteColumn(), TimeRemainingColumn(),
                            console=err_console(), transient=True)
        self.bar.start()
        self.task = self.bar.add_task("Analysing segments", total=None)

        def update(done: int, total: int) -> None:
            self.bar.update(self.task, completed=done, total=total)

        return update

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _evaluate(coder: str | None, threshold: float, json_: bool) -> None:
    from ..suggest.analysis_cache import AnalysisStore
    from ..suggest.evaluate import evaluate
    from ..suggest.service import cache_writer
    from .common import database

    db = database(create=False)
    # Reads only; the analyses it computes go to the cache in short write transactions.
    with db.session() as s:
        store = AnalysisStore(s)
        store.writer = cache_writer(db)
        report = evaluate(s, coder=coder, threshold=threshold, store=store)
    if json_:
        print_json(report)
        return
    from rich.table import Table

    out = console()
    learned = report["learned"]
    table = Table("code", "keyword lookup\nP  R  F1", "codebook alone\nP  R  F1",
                  "learned\nF1",
                  title=f"Suggestions against {report['coder']}'s codings "
                        f"({report['documents']} documents, {report['segments']} segments, "
                        f"threshold {report['threshold']:.2f})")

    def cells(m: dict[str, float] | None) -> str:
        return (f"{m['precision']:.2f} {m['recall']:.2f} {m['f1']:.2f}" if m else "–")

    look, book = report["keyword_lookup"], report["codebook"]
    for name, m in book["codes"].items():
        table.add_row(escape(name), cells(look["codes"][name]), cells(m),
                      f"{learned['codes'][name]['f1']:.2f}" if learned else "–")
    table.add_section()
    table.add_row("[bold]micro[/]", cells(look["micro"]), cells(book["micro"]),
                  f"{learned['micro']['f1']:.2f}" if learned else "–")
    table.add_row("[bold]macro F1[/]", f"{look['macro_f1']:.2f}", f"{book['macro_f1']:.2f}",
                  f"{learned['macro_f1']:.2f}" if learned else "–")
    out.print(table)
    one = report.get("one_document")
    if one:
        out.print(f"After learning from one document (mean of {one['runs']} runs, tested on "
                  f"the others): micro-F1 {one['engine']['micro_f1']:.2f}, against "
                  f"{one['codebook']['micro_f1']:.2f} for the codebook alone and "
                  f"{one['keyword_lookup']['micro_f1']:.2f} for the keyword lookup on the same "
                  "documents.")
    rank = book["ranking"]
    parts = [f"{rank['queue']} items"]
    if rank["precision_at_10"] is not None:
        parts.append(f"precision of the first 10 {rank['precision_at_10']:.2f}")
    if rank["precision_at_20"] is not None:
        parts.append(f"of the first 20 {rank['precision_at_20']:.2f}")
    if rank["found_in_top_20pct"] is not None:
        parts.append(f"codings found in its top 20% {rank['found_in_top_20pct']:.0%} "
                     f"(keyword lookup {look['ranking']['found_in_top_20pct'] or 0:.0%})")
    out.print("Review queue (codebook alone): " + ", ".join(parts) + ".")
    out.print("[dim]lookup = a code wherever one of its keywords appears; codebook = the "
              "engine with definitions, examples and keywords only; learned = trained on the "
              "coder's codings of the other documents (leave one document out).[/]")


HELP = ("a accept (creates the coding)   r reject   s skip (ask again with --skipped)   "
        "u undo the last decision   q quit   ? help")


def review(
    coder: CoderOpt = None,
    code: Annotated[str | None, typer.Option("--code", help="Only suggestions of this code.")]
    = None,
    skipped: Annotated[bool, typer.Option(
        "--skipped", help="Also ask again the suggestions skipped before.")] = False,
    retrain_every: Annotated[int, typer.Option(
        "--retrain-every", help="Retrain and re-sort the queue after this many decisions "
        "(0: never).")] = 10,
) -> None:
    """Accept, reject or skip suggestions one key at a time, the most likely first.

    Example: qualcode review --code "déqualification"
    """
    from ..corpus.coders import default_coder
    from ..suggest.review import Review
    from .common import database
    from .keys import read_key

    loop = Review(database(create=False), coder=coder or default_coder(), code=code,
                  include_skipped=skipped, retrain_every=retrain_every)
    queue = loop.queue()
    out = console()
    if not queue:
        info(_nothing_to_review(loop, skipped))
        return
    from ..suggest.review import AlreadyDecided

    total = len(queue)
    counts = {"accept": 0, "reject": 0, "skip": 0}
    taken = 0  # decided by another coder while this review ran
    while True:
        if not queue:
            # the last decision can still be undone before leaving
            key = read_key("All reviewed. [u]ndo the last decision or [q]uit: ").lower()
            if key != "u":
                break
        else:
            item = queue[0]
            show_item(out, item, loop.done, len(queue), loop.meaning(item.score))
            key = read_key("[a/r/s/u/q/?] ").lower()
        if key in ("a", "r", "s") and queue:
            from ..suggest.review import ACTIONS

            queue.pop(0)
            try:
                loop.decide(item, ACTIONS[key])
            except AlreadyDecided as exc:
                taken += 1
                info(f"Not recorded: {exc}.")
                continue
            counts[ACTIONS[key]] += 1
            if loop.due() and queue:
                info(f"Learning from your {loop.done} decisions…")
                loop.retrain()
                queue = loop.queue()
        elif key == "u":
            try:
                last = loop.undo()
            except AlreadyDecided as exc:
                info(f"Cannot undo: {exc}; that decision stands.")
                continue
            if last is None:
                info("Nothing to undo in this review.")
            else:
                counts[last.action] -= 1
                if last.item is not None:
                    queue.insert(0, last.item)
                info(f"Undone: {last.action} of {last.item.code if last.item else ''}.")
        elif key == "q":
            break
        else:
            info(HELP)
    left = len(queue)
    others = f"; {taken} decided by another coder meanwhile" if taken else ""
    info(f"Reviewed {loop.done} of {total}: {counts['accept']} accepted, {counts['reject']} "
         f"rejected, {counts['skip']} skipped{others}; {left} left.")


def _nothing_to_review(loop: Any, skipped: bool) -> str:
    """Why the queue is empty: no suggestion at all, or every one already decided."""
    from ..suggest.review import status_counts

    with loop.db.session() as s:
        counts = status_counts(s, code=loop.code)
    what = f"of {loop.code} " if loop.code else ""
    if not counts:
        return f"Nothing to review: no suggestion {what}yet; run `qualcode suggest` first."
    pending = counts.pop("pending", 0)
    decided = sum(counts.values())
    detail = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    line = (f"Nothing to review: the one suggestion {what}is decided ({detail})" if decided == 1
            else f"Nothing to review: all {decided} suggestions {what}are decided ({detail})")
    if pending:  # pending ones whose segment got the code by hand meanwhile
        line += f"; {pending} more are on segments already coded with their code"
    if counts.get("skipped") and not skipped:
        line += "; ask the skipped ones again with --skipped"
    return line + "."


def show_item(out: Any, item: Item, done: int, remaining: int,
              meaning: str | None = None) -> None:
    from rich.text import Text

    text = Text(item.text)
    for start, end, negated in item.highlights():
        text.stylize("bold underline yellow" if negated else "bold reverse", start, end)
    colour = item.colour or "magenta"
    ev = item.evidence
    out.rule(f"{done} done · {remaining} to go")
    who = f" ({escape(item.speaker)})" if item.speaker else ""
    out.print(f"[bold cyan]{escape(item.ref)}[/]{who}")
    out.print(text)
    out.print(f"code: [bold {colour}]{escape(item.code)}[/]   score {item.score:.2f}"
              + (f"   [dim]{escape(meaning)}[/]" if meaning else ""))
    parts = ev.get("contributions", {})
    if parts:
        out.print("   ".join(f"{k} {v:+.2f}" for k, v in parts.items() if k != "base"))
    matches = ev.get("matches", [])
    if matches:
        out.print("evidence: " + ", ".join(_match_label(m) for m in matches))
    near = ev.get("nearest")
    if near:
        shared = near.get("shared") or []
        words = f", shares {escape(', '.join(shared))}" if shared else ""
        out.print(f"nearest: {escape(near['segment'])} ({near['similarity']:.2f}{words}) "
                  f"« {escape(near['excerpt'])} »")


def _match_label(m: dict[str, Any]) -> str:
    label = f"{escape(m['text'])} → {escape(m['keyword'])}"
    notes = []
    if m.get("negated"):
        notes.append("negated")
    if m.get("from_name"):
        notes.append("the code's name")
    if "reliability" in m:
        notes.append(f"right {m['reliability']:.0%}")
    return label + (f" ({', '.join(notes)})" if notes else "")


def codebook_check(json_: JsonOpt = False) -> None:
    """Check the codebook against the corpus: what would make suggestions weak.

    Warns about codes with few keywords, keywords found in most segments or in none,
    examples that share no words with the corpus, and codes whose name never appears.
    Example: qualcode codebook check
    """
    from ..suggest.lint import check_codebook

    with session(write=True) as s:  # keeps the analyses it computes in the cache
        findings = check_codebook(s)
    if json_:
        print_json([f.as_dict() for f in findings])
        return
    if not findings:
        info("No warning: every code has keywords found in the corpus, none too common.")
        return
    from rich.table import Table

    table = Table("code", "warning", "detail")
    for f in findings:
        table.add_row(escape(f.code), f.kind, escape(f.message))
    console().print(table)
    info(f"{len(findings)} warning{'s' if len(findings) != 1 else ''}; edit the codebook "
         "(YAML, then `qualcode codebook import`) or approve proposals with "
         "`qualcode codebook propose`.")


def codebook_propose(
    code: Annotated[str | None, typer.Option(
        "--code", help="Only this code and its sub-codes.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Proposals per code.")] = 5,
    coder: CoderOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Propose keywords from the coded segments, to approve with one key each.

    A proposed word appears in several segments coded with the code and rarely elsewhere.
    Keys: a approve (adds it to the code's keywords, with a memo saying where it came from),
    r refuse (never proposed again), s skip, q quit. With --json, only lists them.
    Example: qualcode codebook propose --code "déqualification"
    """
    from ..suggest.proposals import approve, propose, refuse
    from .keys import read_key

    with session(write=True) as s:
        proposals = propose(s, code=code, limit=limit)
    if json_:
        print_json([p.as_dict() for p in proposals])
        return
    if not proposals:
        info("No keyword to propose: code more segments first (a word must appear in at "
             "least two segments coded with a code, and rarely elsewhere).")
        return
    from ..corpus.coders import default_coder

    who = coder or default_coder()
    out = console()
    counts = {"approved": 0, "refused": 0}
    for p in proposals:
        out.print(f"[bold]{escape(p.code)}[/]: « [bold]{escape(p.keyword)}[/] » in {p.coded} "
                  f"coded segments, {p.others} others ({p.precision:.0%}); e.g. "
                  f"{escape(', '.join(p.segments))}")
        key = read_key("[a]pprove, [r]efuse, [s]kip, [q]uit: ").lower()
        if key == "q":
            break
        if key in ("a", "r"):
            with session(write=True) as s:
                if key == "a":
                    approve(s, p, coder=who)
                else:
                    refuse(s, p.code, p.keyword)
            counts["approved" if key == "a" else "refused"] += 1
    info(f"{counts['approved']} keyword{'s' if counts['approved'] != 1 else ''} approved, "
         f"{counts['refused']} refused. Run `qualcode suggest` to use them.")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the top-level app (and the codebook group's)."""
    from .codebook import app as codebook_app

    app.command("suggest")(suggest)
    app.command("review")(review)
    codebook_app.command("check")(codebook_check)
    codebook_app.command("propose")(codebook_propose)
