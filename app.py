"""`python app.py`: the chat and the JSON API on http://127.0.0.1:7860 (builds the index if needed)."""

from __future__ import annotations

import argparse
import os
import sys

from qa.answer.engine import load_qa
from qa.cli import port
from qa.server.settings import ServeError, settings_from

if __name__ == "__main__":
    from qa.server.app import bind, start

    try:
        settings = settings_from(os.environ.get("QA_HOST", "127.0.0.1"), port(os.environ.get("QA_PORT", "7860")))
        sock = bind(settings.host, settings.port)
    except (argparse.ArgumentTypeError, ServeError) as e:
        sys.exit(f"app.py: {e}")
    start(load_qa(), settings, sock=sock)
