"""The one place the ``QA_*`` environment variables are read: :class:`Settings`, made by :func:`settings`.

:func:`settings` reads ``os.environ`` each time it is called (nothing is read at import, nothing is
cached), so a variable set after ``import qa`` counts. A command-line flag wins over its variable:
the CLI passes the flag's value where one is given and falls back to ``settings()`` where it is not.
What varies per question (the report asked, the retrievers) is an argument of ``QA.ask``, not a setting.

``QA_HOME`` is the folder that holds ``corpus/``, ``eval/``, ``index/`` and ``data/``: by default the
checkout when ``qa`` is imported from one, else the current working directory. Nothing is ever
written into the installed package: the index, feedback and eval reports all go under the home.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from qa.datafiles import PROJECT_DIR

DEFAULT_MODEL = "use-m-v3"  # the built-in USE-m-v3 (qa/search/embedding.py)
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = "7860"
DEFAULT_BUILD_WAIT = 600.0  # seconds a build waits for another build of the same index folder
LIWAN_FILE = "liwan-2025-government-work-report.txt"  # the default report, in corpus/ of a checkout


@dataclass(frozen=True)
class Settings:
    """Every setting of the project, as the environment gives it (defaults where a variable is unset or empty)."""

    home: Path  # QA_HOME: holds corpus/, eval/, index/, data/
    corpus: tuple[str, ...] = ()  # QA_CORPUS: report files or folders (os.pathsep-separated); () = the Liwan report
    index_dir: Path | None = None  # QA_INDEX_DIR; None = <home>/index
    model: str = DEFAULT_MODEL  # QA_MODEL: a sentence-transformers name or folder, or the built-in model
    build_wait: float = DEFAULT_BUILD_WAIT  # QA_BUILD_WAIT (an unreadable value: the default)
    host: str = DEFAULT_HOST  # QA_HOST
    port: str = DEFAULT_PORT  # QA_PORT, as given: checked where it is used, so the message can name QA_PORT
    allowed_hosts: tuple[str, ...] = ()  # QA_ALLOWED_HOSTS (comma- or space-separated), besides loopback
    cors_origins: tuple[str, ...] = ()  # QA_CORS_ORIGINS (comma- or space-separated); none by default
    feedback_file: Path | None = None  # QA_FEEDBACK_FILE; None = <home>/data/feedback.jsonl

    @property
    def index_root(self) -> Path:
        """Where indexes live: ``QA_INDEX_DIR``, else ``<home>/index``."""
        return self.index_dir if self.index_dir is not None else self.home / "index"

    @property
    def feedback_path(self) -> Path:
        """Where chat feedback is appended: ``QA_FEEDBACK_FILE``, else ``<home>/data/feedback.jsonl``."""
        return self.feedback_file if self.feedback_file is not None else self.home / "data" / "feedback.jsonl"

    @property
    def eval_dir(self) -> Path:
        """``<home>/eval``: the question set, the training set, the pinned floors and the reports."""
        return self.home / "eval"


def is_checkout() -> bool:
    """Whether ``qa`` is imported from a checkout of the project (its ``corpus/`` beside the package)."""
    return (PROJECT_DIR / "corpus" / LIWAN_FILE).is_file()


def default_home() -> Path:
    """The checkout when ``qa`` is imported from one, else the current working directory."""
    return PROJECT_DIR if is_checkout() else Path.cwd()


def _words(text: str) -> tuple[str, ...]:
    """Comma- or space-separated words, without empties."""
    return tuple(w for w in text.replace(",", " ").split() if w)


def _seconds(text: str, default: float) -> float:
    """``text`` as a number of seconds (at least 0), else ``default``."""
    try:
        return max(float(text), 0.0) if text else default
    except ValueError:
        return default


def settings() -> Settings:
    """The settings as the environment gives them now."""
    env = os.environ
    home = env.get("QA_HOME", "").strip()
    corpus = env.get("QA_CORPUS", "").strip()
    feedback = env.get("QA_FEEDBACK_FILE", "").strip()
    return Settings(
        home=Path(home) if home else default_home(),
        corpus=tuple(x for x in corpus.split(os.pathsep) if x),
        index_dir=Path(env["QA_INDEX_DIR"]) if env.get("QA_INDEX_DIR") else None,
        model=env.get("QA_MODEL") or DEFAULT_MODEL,
        build_wait=_seconds(env.get("QA_BUILD_WAIT", ""), DEFAULT_BUILD_WAIT),
        host=env.get("QA_HOST", DEFAULT_HOST),
        port=env.get("QA_PORT", DEFAULT_PORT),
        allowed_hosts=_words(env.get("QA_ALLOWED_HOSTS", "")),
        cors_origins=_words(env.get("QA_CORS_ORIGINS", "")),
        feedback_file=Path(feedback) if feedback else None,
    )
