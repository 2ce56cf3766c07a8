"""One FastAPI app: the JSON API (``/api/*``, docs at ``/docs``) and the Gradio chat (``/``), behind the guards.

:func:`create_app` builds it, :func:`start` serves it with uvicorn (blocking, or in a thread
for tests), :func:`from_env` is the factory for ``uvicorn --factory`` with several workers.
"""

from __future__ import annotations

import errno
import socket
import threading
import time
from dataclasses import dataclass

import gradio as gr
import uvicorn
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from qa.answer.engine import QA
from qa.server.api import add_api
from qa.server.security import middleware_stack
from qa.server.settings import MAX_CHAT_SESSIONS, MAX_FILE_BYTES, ServeError, ServerSettings, settings_from
from qa.settings import settings
from qa.ui.app import CONCURRENCY_LIMIT, CSS, JS, MAX_QUEUE, build_app, page_title

START_TIMEOUT_S = 60.0


def chat_blocks(qa: QA, sessions: int = MAX_CHAT_SESSIONS) -> gr.Blocks:
    """The chat page with its bounded queue and session store; Gradio's direct routes closed (``api_open=False``)."""
    demo = build_app(qa).queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=MAX_QUEUE, api_open=False)
    demo.state_session_capacity = sessions  # what launch(state_session_capacity=...) sets; mount has no parameter
    return demo


def create_app(qa: QA, settings: ServerSettings | None = None) -> FastAPI:
    """The whole server for one engine: API routes first, the chat mounted at ``/`` behind them."""
    settings = settings or ServerSettings()
    demo = chat_blocks(qa, settings.chat_sessions)

    def public() -> set[str]:
        return {str(f.api_name) for f in demo.fns.values() if f.api_visibility == "public"}

    guards = middleware_stack(
        settings.allowed_hosts, settings.cors_origins, public, settings.max_body_bytes, settings.max_chat_body_bytes
    )
    app = FastAPIOffline(
        title=page_title(qa.index.reports),
        description="Answers are the report's own sentences, quoted with character offsets. The chat is at `/`.",
        version="1",
        redoc_url=None,
        middleware=guards,
    )
    add_api(app, qa)
    return gr.mount_gradio_app(
        app,
        demo,
        path="/",
        server_name=settings.host,
        server_port=settings.port,
        css=CSS,
        js=JS,
        show_error=False,
        max_file_size=MAX_FILE_BYTES,
        run_history=False,
        ssr_mode=False,
        enable_monitoring=False,
        mcp_server=False,
        footer_links=["api", "gradio"],
    )


HOST_AND_PORT_SETTINGS = ("--host or QA_HOST", "--port or QA_PORT")  # what `qa serve` reads


def bind(host: str, port: int, settings: tuple[str, str] = HOST_AND_PORT_SETTINGS) -> socket.socket:
    """A listening socket on ``host:port``, or a :class:`ServeError` that says what to change.

    ``settings`` name where the host and the port come from, for the message (``app.py`` reads only
    the environment).
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as e:
        reason = e.strerror or str(e)
        if e.errno in (errno.EADDRINUSE, errno.EACCES):  # taken, or below 1024 without the right
            fix = f"choose another with {settings[1]}"
        else:  # not an address of this machine, or a name that does not resolve
            fix = f"check the address given with {settings[0]}"
        raise ServeError(f"cannot listen on {host}:{port}: {reason} ({fix})") from e
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


@dataclass
class Running:
    """A server started in a thread (``start(..., block=False)``): its URL, and ``close()``."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def close(self) -> None:
        """Stop serving and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(timeout=30)


def start(
    qa: QA, settings: ServerSettings | None = None, block: bool = True, sock: socket.socket | None = None
) -> Running:
    """Serve on ``settings.host:settings.port``, or on ``sock`` bound by :func:`bind` (never a public share link).

    ``block=True`` (``qa serve``) runs until interrupted; ``block=False`` returns once the server answers.
    """
    settings = settings or ServerSettings()
    sock = sock or bind(settings.host, settings.port)
    config = uvicorn.Config(
        create_app(qa, settings), log_level="warning", access_log=False, timeout_graceful_shutdown=5, lifespan="on"
    )
    server = uvicorn.Server(config)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{host}:{sock.getsockname()[1]}/"
    if block:
        print(f"serving the chat at {url} and the API at {url}api/ (docs: {url}docs)", flush=True)
        server.run(sockets=[sock])
        return Running(url, server, threading.current_thread())
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise ServeError(f"the server at {url} did not start")
        time.sleep(0.02)
    return Running(url, server, thread)


def from_env() -> FastAPI:
    """The app for ``uvicorn --factory qa.server.app:from_env``: $QA_MODEL, $QA_HOST, $QA_ALLOWED_HOSTS ...

    The index must exist (``qa build`` first): workers never rebuild it, so they never race to.
    """
    from qa.answer.engine import load_qa

    return create_app(load_qa(rebuild=False), settings_from(host=settings().host))
