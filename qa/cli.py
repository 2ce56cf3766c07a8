"""The one command line: ``qa build | ask | serve | eval | train | ledger``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from qa.types import Answer, part_label


def add_corpus(p: argparse.ArgumentParser) -> None:
    """--corpus, shared by every command that reads reports."""
    p.add_argument(
        "--corpus",
        action="append",
        metavar="PATH",
        help="a report file, or a folder of .txt reports (repeatable; default: $QA_CORPUS or the Liwan report)",
    )


def corpus_of(args: argparse.Namespace) -> tuple[Path, ...] | None:
    """The report files --corpus names (None: the default, ``$QA_CORPUS`` or the Liwan report)."""
    from qa.report.corpus import corpus_files

    return corpus_files(args.corpus) if getattr(args, "corpus", None) else None


def _add_model(p: argparse.ArgumentParser) -> None:
    """--model, --no-rebuild and --corpus, shared by the commands that load the index."""
    p.add_argument(
        "--model",
        default=None,
        help="sentence-transformers model name or folder (default: $QA_MODEL or use-m-v3, built in)",
    )
    p.add_argument("--no-rebuild", action="store_true", help="refuse a missing or stale index instead of rebuilding it")
    add_corpus(p)


def cmd_build(args: argparse.Namespace) -> int:
    """Build the index and print its manifest."""
    from qa.search.embedding import load_embedder
    from qa.search.index import build, load

    t0 = time.perf_counter()
    embedder = load_embedder(args.model)
    corpus = corpus_of(args)
    path = build(embedder, corpus=corpus)
    manifest = load(embedder.name, corpus=corpus).manifest
    print(f"built {path} in {time.perf_counter() - t0:.1f}s (model load included)")
    print(json.dumps(manifest.to_json(), ensure_ascii=False, indent=2))
    return 0


def format_answer(a: Answer, many: bool = False) -> str:
    """The readable form of an answer: the quotes, then where each comes from (``many``: and from which report)."""
    lines = [a.answer] if a.message else [f"[{a.status}]", a.answer]
    if a.citations:
        lines.append("")
        for c in a.citations:
            where = f"{c.report}: " if many else ""
            lines.append(f"[{c.n}] {where}{c.section} ({part_label(c.part, c.year)}) chars {c.start}-{c.end}")
    if a.timings_ms:
        lines.append(f"({a.timings_ms.get('total', 0):.0f} ms)")
    return "\n".join(lines)


ASK_VALUE_OPTIONS = ("--report", "--model", "--corpus")  # the options of `qa ask` that take a value
DASH_WORD = "\ue000"  # (private use) marks a question word that starts with "-", so that argparse keeps it


def keep_dash_words(argv: Sequence[str]) -> list[str]:
    """``qa ask`` arguments in which a word starting with one ``-`` is a question word, not an unknown option.

    `qa ask` has no one-letter option but ``-h``, so ``qa ask -5%是什么意思`` or ``qa ask "-今年…"`` can
    only mean a question: such a word is marked with :data:`DASH_WORD` (removed again by
    :func:`question_of`). A word starting with ``--`` stays an option (a mistyped one is still an
    error), as does anything after ``--``, where argparse reads every word as the question anyway.
    """
    if not argv or argv[0] != "ask":
        return list(argv)
    out = [argv[0]]
    for i, word in enumerate(argv[1:], start=1):
        if word == "--":
            return [*out, *argv[i:]]
        before = argv[i - 1] if "=" not in argv[i - 1] else ""
        value = len(before) > 2 and any(o.startswith(before) for o in ASK_VALUE_OPTIONS)  # argparse takes prefixes
        dash = word.startswith("-") and not word.startswith("--") and word not in ("-", "-h")
        out.append(DASH_WORD + word if dash and not value else word)
    return out


class Parser(argparse.ArgumentParser):
    """argparse's parser, whose messages show a question word as it was typed (without :data:`DASH_WORD`)."""

    def error(self, message: str) -> NoReturn:
        """Usage and the message on stderr, exit status 2."""
        super().error(message.replace(DASH_WORD, ""))


def question_of(words: Sequence[str]) -> str:
    """The question ``qa ask`` was given: its words joined, marks of :func:`keep_dash_words` removed.

    Bytes of invalid UTF-8 in argv arrive as lone surrogates: they are dropped, as the API and the chat
    drop them, since an answer echoing them could not be printed as UTF-8.
    """
    from qa.text.normalize import without_surrogates

    return without_surrogates(" ".join(w.removeprefix(DASH_WORD) for w in words))


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer one question."""
    from qa.answer.engine import load_qa, refuse

    question = question_of(args.question)
    answer = refuse(question)  # empty or over-long input is answered without loading the model
    many = False
    if answer is None:
        qa = load_qa(args.model, rebuild=not args.no_rebuild, corpus=corpus_of(args))
        if args.report is not None and args.report not in qa.library.ids():
            held = ", ".join(qa.library.ids())
            print(f"qa: no report {args.report!r} in the index (it holds {held})", file=sys.stderr)
            return 2
        answer = qa.ask(question, report=args.report)
        many = len(qa.library.ids()) > 1
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        print(format_answer(answer, many))
    if answer.message:
        print(f"qa: {answer.message}", file=sys.stderr)
        return 2
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the chat and the JSON API (bound to 127.0.0.1 unless --host says otherwise)."""
    from qa.server.settings import PORT_ENV, port_number, settings_from
    from qa.settings import settings as read_settings

    env = read_settings()  # a flag wins over its variable
    given = (args.port, "--port") if args.port is not None else (env.port, PORT_ENV)
    host = env.host if args.host is None else args.host
    settings = settings_from(host, port_number(*given), args.allowed_host, args.cors_origin, given=env)
    from qa.answer.engine import load_qa  # (Gradio loads with these: a bad port is said before)
    from qa.server.app import bind, start

    sock = bind(settings.host, settings.port)  # a taken port is said before the model loads
    start(load_qa(args.model, rebuild=not args.no_rebuild, corpus=corpus_of(args)), settings, sock=sock)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Run a question file through the same code path as `ask`."""
    from qa.evaluate.run import main

    return main(args)


def cmd_train(args: argparse.Namespace) -> int:
    """Learn the answerability model and question keys from the authored training set."""
    from qa.answer.train import main

    return main(args)


def parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    p = Parser(prog="qa", description="Ask government work reports (default: the 2025 Liwan District report).")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build the index under index/ (or $QA_INDEX_DIR)")
    b.add_argument("--model", default=None, help="model name or folder (default: $QA_MODEL or use-m-v3)")
    add_corpus(b)
    b.set_defaults(func=cmd_build)

    a = sub.add_parser("ask", help="answer one question")
    a.add_argument(
        "question", nargs="+", help="the question (it may start with '-'; one starting with '--' goes after --)"
    )
    a.add_argument("--json", action="store_true", help="print one JSON object")
    a.add_argument("--report", default=None, metavar="ID", help="answer only from this report (its file stem)")
    _add_model(a)
    a.set_defaults(func=cmd_ask)

    s = sub.add_parser("serve", help="serve the web chat and the JSON API")
    s.add_argument("--host", default=None, help="default: $QA_HOST or 127.0.0.1")
    s.add_argument("--port", default=None, help="default: $QA_PORT or 7860")
    s.add_argument(
        "--allowed-host",
        action="append",
        metavar="NAME",
        help="a Host name to answer besides loopback (repeatable; default: $QA_ALLOWED_HOSTS, comma-separated)",
    )
    s.add_argument(
        "--cors-origin",
        action="append",
        metavar="ORIGIN",
        help="an origin allowed to call the API from another site (repeatable; default: $QA_CORS_ORIGINS; none)",
    )
    _add_model(s)
    s.set_defaults(func=cmd_serve)

    e = sub.add_parser("eval", help="run a question set (JSON lines or CSV)")
    e.add_argument("--questions", default=None, help="JSON lines with id and question, or CSV")
    e.add_argument("--out", default=None, help="write one ask --json object per line here")
    e.add_argument("--split", default=None, help="only questions of this split (dev/test)")
    e.add_argument(
        "--variants",
        default="hybrid,dense,bm25",
        help="retrieval variants to compare, comma-separated; the first is broken down (default: hybrid,dense,bm25)",
    )
    e.add_argument("--report-dir", default=None, help="where <date>-<model>.md/.json/.png go (default: eval/reports)")
    e.add_argument("--no-report", action="store_true", help="print the table only, write no report files")
    e.add_argument("--pin", action="store_true", help="with --split test: write these scores to eval/expected.json")
    e.add_argument("--reason", default=None, help="with --pin: why a floor may go down (recorded in the file)")
    e.add_argument(
        "--check-expected", action="store_true", help="with --split test: exit 1 if a metric fell past its tolerance"
    )
    e.add_argument("--expected", default=None, help="the pinned scores file (default: eval/expected.json)")
    _add_model(e)
    e.set_defaults(func=cmd_eval)

    t = sub.add_parser("train", help="learn the answerability model from eval/train/ (never the test split)")
    t.add_argument("--train-dir", default=None, help="folder of training JSON lines (default: eval/train)")
    t.add_argument("--out", default=None, help="where the model goes (default: qa/data/answerability.json)")
    t.add_argument("--model", default=None, help="embedding model name or folder (default: $QA_MODEL or use-m-v3)")
    t.set_defaults(func=cmd_train)

    from qa.ledger.cli import add_cli  # imported here, like the other verbs' code, to keep `qa --help` quick

    add_cli(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `qa` command."""
    args = parser().parse_args(keep_dash_words(sys.argv[1:] if argv is None else argv))
    try:
        status = int(args.func(args))
        sys.stdout.flush()  # here, so that a closed pipe is caught below, not at exit
        return status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader stopped early (`qa ask … | head -3`): stop quietly, as a shell tool does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        return 141  # 128 + SIGPIPE, what a shell reports for such a command
    except Exception as e:  # a clear message, not a traceback, for index, model and file problems
        from qa.answer.answerability import AnswerModelError
        from qa.answer.scope import UnknownReport
        from qa.report.corpus import CorpusError
        from qa.search.embedding import ModelLoadError
        from qa.search.index import IndexError_
        from qa.server.settings import ServeError

        if isinstance(e, ServeError):
            print(f"qa: {e}", file=sys.stderr)
            return 2
        if isinstance(e, IndexError_ | ModelLoadError | AnswerModelError):
            print(f"qa: {e}", file=sys.stderr)
            return 3
        if isinstance(e, CorpusError | UnknownReport):
            print(f"qa: {e}", file=sys.stderr)
            return 2
        if isinstance(e, OSError) and e.filename:  # read or written: say which file, as `cp` or `cat` do
            print(f"qa: {e.filename}: {e.strerror or e}", file=sys.stderr)
            return 2
        raise
