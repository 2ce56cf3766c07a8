"""`python app.py`: the chat and the JSON API on http://127.0.0.1:7860 (builds the index if needed)."""

from __future__ import annotations

import sys

from qa.answer.engine import load_qa
from qa.server.settings import HOST_ENV, PORT_ENV, ServeError, server_settings

if __name__ == "__main__":
    from qa.server.app import bind, start

    try:
        settings = server_settings()  # $QA_HOST, $QA_PORT, $QA_ALLOWED_HOSTS, $QA_CORS_ORIGINS, read now
        sock = bind(settings.host, settings.port, (HOST_ENV, PORT_ENV))  # app.py reads no flags
    except ServeError as e:
        sys.exit(f"app.py: {e}")
    start(load_qa(), settings, sock=sock)
