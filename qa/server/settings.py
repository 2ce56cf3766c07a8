"""Where the server listens, which Host names and CORS origins it accepts, and its size limits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.settings import Settings, settings

HOST_ENV = "QA_HOST"  # the address to listen on (qa serve --host, app.py)
PORT_ENV = "QA_PORT"  # the port to listen on (qa serve --port, app.py)
HOSTS_ENV = "QA_ALLOWED_HOSTS"  # comma-separated Host names the server answers to (besides loopback)
CORS_ENV = "QA_CORS_ORIGINS"  # comma-separated origins allowed to call the server from another site
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
WILDCARD_BINDS = ("0.0.0.0", "::", "")  # bind addresses that name no host
MAX_BODY_BYTES = 64 * 1024  # any request body over this gets 413
# The chat page sends the whole conversation with each question (Gradio's Chatbot value), about
# 3-6 KB a turn, so its queue gets a larger cap: about 200 turns.
MAX_CHAT_BODY_BYTES = 1024 * 1024
# Gradio keeps each session's copy of the page's component values (about 120 KB here, the ledger
# table included); every call of its /ask route is a new session. Its default of 10,000 sessions
# grew the server by 850 MB in a 4,300-request run; this bounds it to about 120 MB.
MAX_CHAT_SESSIONS = 1000
MAX_FILE_BYTES = 1024  # Gradio's upload route is closed; should it open, nothing larger is accepted


class ServeError(Exception):
    """The server cannot start (the port is taken, the address is not this machine's ...)."""


def port_number(text: str, source: str) -> int:
    """The TCP port ``text`` names, or a one-line :class:`ServeError` naming the setting it came from.

    ``source`` is how the user gave it: ``"--port"`` or ``"QA_PORT"``.
    """
    digits = text.strip()
    n = int(digits) if re.fullmatch(r"[0-9]{1,5}", digits) else 0
    if not 1 <= n <= 65535:
        shown = f"{source} {text!r}" if source.startswith("-") else f"{source}={text!r}"
        raise ServeError(f"{shown} is not a port number (a whole number from 1 to 65535)")
    return n


@dataclass(frozen=True)
class ServerSettings:
    """How one server process runs (``qa serve`` builds it from flags and the environment)."""

    host: str = "127.0.0.1"
    port: int = 7860
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS  # Host header names answered; anything else gets 400
    cors_origins: tuple[str, ...] = ()  # empty: no CORS headers, cross-site preflights refused
    max_body_bytes: int = MAX_BODY_BYTES
    max_chat_body_bytes: int = MAX_CHAT_BODY_BYTES
    chat_sessions: int = MAX_CHAT_SESSIONS  # the oldest chat session beyond this is forgotten


def default_hosts(bind: str) -> tuple[str, ...]:
    """Loopback names, plus the bind address itself when it names one host (not 0.0.0.0 or ::)."""
    extra = () if bind in WILDCARD_BINDS or bind in LOOPBACK_HOSTS else (bind,)
    return (*LOOPBACK_HOSTS, *extra)


def settings_from(
    host: str = "127.0.0.1",
    port: int = 7860,
    allowed_hosts: Sequence[str] | None = None,
    cors_origins: Sequence[str] | None = None,
    given: Settings | None = None,
) -> ServerSettings:
    """Settings from flags, falling back to $QA_ALLOWED_HOSTS and $QA_CORS_ORIGINS (``given``, else read now)."""
    env = given or settings()
    hosts = list(allowed_hosts or []) or list(env.allowed_hosts)
    origins = list(cors_origins or []) or list(env.cors_origins)
    names = tuple(dict.fromkeys([*default_hosts(host), *(h.strip().lower() for h in hosts)]))
    return ServerSettings(host=host, port=port, allowed_hosts=names, cors_origins=tuple(dict.fromkeys(origins)))


def server_settings(given: Settings | None = None) -> ServerSettings:
    """Settings from the environment alone (``app.py``): $QA_HOST, $QA_PORT (a bad one named), hosts and origins."""
    env = given or settings()
    return settings_from(env.host, port_number(env.port, PORT_ENV), given=env)
