"""`python app.py`: the chat and the JSON API on http://127.0.0.1:7860 (builds the index if needed)."""

from __future__ import annotations

import os
import sys

from qa.answer.engine import load_qa
from qa.server.settings import HOST_ENV, PORT_ENV, ServeError, port_number, settings_from

if __name__ == "__main__":
    from qa.server.app import bind, start

    try:
        port = port_number(os.environ.get(PORT_ENV, "7860"), PORT_ENV)
        settings = settings_from(os.environ.get(HOST_ENV, "127.0.0.1"), port)
        sock = bind(settings.host, settings.port, (HOST_ENV, PORT_ENV))  # app.py reads no flags
    except ServeError as e:
        sys.exit(f"app.py: {e}")
    start(load_qa(), settings, sock=sock)
