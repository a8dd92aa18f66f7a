"""`suggest` and `review`: spaCy-assisted code suggestions and the one-key review loop."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from .common import CoderOpt, JsonOpt, console, err_console, escape, info, print_json, session

if TYPE_CHECKING:
    from ..suggest.review import Item

MinScoreOpt = Annotated[float, typer.Option(
    "--min-score", min=0.0, max=1.0, help="Keep suggestions scoring at least this (0-1).")]
CodeFilter = Annotated[list[str] | None, typer.Option(
    "--code", help="Only this code and its sub-codes (repeatable).")]


def suggest(
    documents: Annotated[list[str] | None, typer.Argument(
        help="Documents to suggest codes for (default: all).")] = None,
    code: CodeFilter = None,
    min_score: MinScoreOpt = 0.5,
    interviewer: Annotated[bool, typer.Option(
        "--interviewer", help="Also suggest codes for interviewer turns.")] = False,
    evaluate: Annotated[bool, typer.Option(
        "--evaluate", help="Measure precision/recall/F1 against a coder's codings instead.")]
    = False,
    coder: Annotated[str | None, typer.Option(
        "--coder", "-c", help="With --evaluate: the coder whose codings are the reference "
        "(default: the coder with most codings).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Compute and store code suggestions with their evidence (never codings).

    Example: qualcode suggest entretien_01.txt --min-score 0.6
    """
    if evaluate:
        _evaluate(coder, min_score, json_)
        return
    from ..suggest.service import suggest as run
    from ..suggest.service import summary

    stats: dict[str, Any] = {}
    with session(write=True) as s, _progress(json_) as progress:
        rows = run(s, documents=documents or None, codes=code or None, min_score=min_score,
                   include_interviewer=interviewer, progress=progress, stats=stats)
    if json_:
        print_json(rows)
        return
    from rich.table import Table

    table = Table("code", "suggestions")
    for name, n in summary(rows).items():
        table.add_row(escape(name), str(n))
    console().print(table)
    info(f"{len(rows)} suggestions on {stats['segments']} segments "
         f"({stats['parsed']} texts parsed, {stats['cached']} from the cache). "
         "Review them with `qualcode review`.")
    if stats.get("interviewer_removed"):
        n = stats["interviewer_removed"]
        info(f"Removed {n} pending suggestion{'s' if n != 1 else ''} on interviewer turns "
             "(left by an earlier `suggest --interviewer`; add --interviewer to keep them).")
    if not rows and stats["segments"]:
        # A young codebook: single keyword hits score below the default threshold.
        info(f"No suggestion reached --min-score {min_score}. With few keywords or examples per "
             "code, try `qualcode suggest --min-score 0.3`, or code a few segments first.")
    check = stats.get("learned")
    if check is not None and check.f1_codebook is not None:
        verdict = "used" if check.used else "not used"
        info(f"Learned correction {verdict}: on held-out coded documents it turns "
             f"{check.fixed} decisions right and {check.broken} wrong (micro-F1 "
             f"{check.f1_learned:.2f} against {check.f1_codebook:.2f} without it).")


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


def _evaluate(coder: str | None, min_score: float, json_: bool) -> None:
    from ..suggest.service import evaluate

    with session(write=True) as s:  # keeps the analyses it had to compute in the cache
        report = evaluate(s, coder=coder, min_score=min_score)
    if json_:
        print_json(report)
        return
    from rich.table import Table

    out = console()
    learned = report["learned"]
    table = Table("code", "P", "R", "F1", "P (learned)", "R (learned)", "F1 (learned)",
                  title=f"Suggestions against {report['coder']}'s codings "
                        f"({report['documents']} documents, {report['segments']} segments, "
                        f"threshold {report['threshold']})")

    def cells(m: dict[str, float] | None) -> list[str]:
        return [f"{m['precision']:.2f}", f"{m['recall']:.2f}", f"{m['f1']:.2f}"] if m else [
            "–"] * 3

    for name, m in report["codebook"]["codes"].items():
        table.add_row(escape(name), *cells(m), *cells(learned["codes"][name] if learned
                                                        else None))
    table.add_section()
    table.add_row("[bold]micro[/]", *cells(report["codebook"]["micro"]),
                  *cells(learned["micro"] if learned else None))
    table.add_row("[bold]macro F1[/]", "", "", f"{report['codebook']['macro_f1']:.2f}", "", "",
                  f"{learned['macro_f1']:.2f}" if learned else "–")
    out.print(table)
    out.print("Learning curve (micro-F1 by number of training documents): " + ", ".join(
        f"{p['train_documents']}: {p['micro_f1']:.2f}" for p in report["curve"]))
    bare = report.get("without_fill")
    if bare:
        out.print("Without filled best guesses: " + ", ".join(
            f"{p['train_documents']}: {p['micro_f1']:.2f}" for p in bare["curve"]))
    out.print("[dim]codebook = definitions, examples and keywords only; learned = trained on "
              "the coder's codings of the other documents (leave one document out).[/]")


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
    """Accept, reject or skip suggestions one key at a time, the most uncertain first.

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
            show_item(out, item, loop.done, len(queue))
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


def show_item(out: Any, item: Item, done: int, remaining: int) -> None:
    from rich.text import Text

    text = Text(item.text)
    for start, end, negated in item.highlights():
        text.stylize("bold strike yellow" if negated else "bold reverse", start, end)
    colour = item.colour or "magenta"
    ev = item.evidence
    out.rule(f"{done} done · {remaining} to go")
    who = f" ({escape(item.speaker)})" if item.speaker else ""
    out.print(f"[bold cyan]{escape(item.ref)}[/]{who}")
    out.print(text)
    out.print(f"code: [bold {colour}]{escape(item.code)}[/]   score {item.score:.2f}")
    if ev.get("filled"):
        out.print("[dim]best guess: no code reached the threshold on this segment, and your "
                  "coders code nearly every segment[/]")
    parts = ev.get("contributions", {})
    if parts:
        out.print("   ".join(f"{k} {v:+.2f}" for k, v in parts.items() if k != "base"))
    matches = ev.get("matches", [])
    if matches:
        out.print("evidence: " + ", ".join(
            f"{escape(m['text'])} → {escape(m['keyword'])}" + (" (negated)" if m["negated"]
                                                             else "") for m in matches))
    near = ev.get("nearest")
    if near:
        shared = near.get("shared") or []
        words = f", shares {escape(', '.join(shared))}" if shared else ""
        out.print(f"nearest: {escape(near['segment'])} ({near['similarity']:.2f}{words}) "
                  f"« {escape(near['excerpt'])} »")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the top-level app."""
    app.command("suggest")(suggest)
    app.command("review")(review)
