"""The server's guards, as plain ASGI middleware (no per-request thread or task).

From the outside in: security headers on every response (a nonce-based Content-Security-Policy
for HTML pages), the Host header against an allow-list, CORS (off unless configured), the
routes that may be written to (the JSON API and the chat's queue; Gradio's direct, upload and
private routes are closed), and a cap on the request body.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Collection, Iterable

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = (  # (name, value) on every response
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
# 'unsafe-eval': Gradio 6's HTML component (the sources panel, the ledger passage) compiles its
# template with `new Function`; inline scripts still need the page's nonce, so injected markup cannot run.
CSP = (
    "default-src 'self'; script-src 'self'{nonce} 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; media-src 'self' data: blob:; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
OURS = frozenset(name for name, _ in HEADERS) | {b"content-security-policy"}  # replaced if the app set them
CHAT_QUEUE = "/gradio_api/queue/join"
WRITABLE = frozenset({"/api/ask", CHAT_QUEUE, "/gradio_api/cancel", "/gradio_api/reset"})  # POST routes
_CALL = re.compile(r"^/gradio_api/call/(?:v2/)?([^/]+)(?:/[^/]+)?/?$")  # Gradio's queued call by name
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def send_json(send: Send, status: int, detail: str, headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    """A small JSON error response ``{"detail": ...}``."""
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of a request header (lower-case ``name``), or None."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


class SecurityHeaders:
    """Adds the security headers to every response; HTML pages get a CSP nonce on each of their scripts.

    A browser navigation (``Accept: text/html``) is answered uncompressed, so that the page's
    ``<script`` tags can be given the nonce; scripts and styles it loads are still compressed.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap ``send`` to add headers (and nonces for HTML)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        head_only = scope["method"] == "HEAD"
        if b"text/html" in (_header(scope, b"accept") or b""):
            headers = [(k, v) for k, v in scope["headers"] if k != b"accept-encoding"]
            scope = {**scope, "headers": headers}
        start: Message | None = None
        chunks: list[bytes] = []

        async def wrapped(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() not in OURS]
                kind = dict(headers).get(b"content-type", b"")
                html = kind.startswith(b"text/html") and b"content-encoding" not in dict(headers) and not head_only
                csp = CSP.format(nonce=f" 'nonce-{nonce}'" if html else "")
                headers = [*headers, *HEADERS, (b"content-security-policy", csp.encode())]
                message = {**message, "headers": headers}
                if html:
                    start = message  # held until the whole page is here
                    return
                await send(message)
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks).replace(b"<script", f'<script nonce="{nonce}"'.encode())
                head = [(k, v) for k, v in start["headers"] if k != b"content-length"]
                head.append((b"content-length", str(len(body)).encode()))
                await send({**start, "headers": head})
                await send({"type": "http.response.body", "body": body})
            else:
                await send(message)

        await self.app(scope, receive, wrapped)


def host_name(value: bytes | None) -> str | None:
    """The host of a Host header without port or trailing dot, lower-case (``[::1]:7860`` -> ``::1``)."""
    if not value:
        return None
    text = value.decode("latin-1").strip().lower()
    if text.startswith("["):
        end = text.find("]")
        return text[1:end] if end > 0 else None
    name = text.rsplit(":", 1)[0] if text.count(":") == 1 else text
    return name.rstrip(".") or None


class HostCheck:
    """Answers only requests whose Host header is on the allow-list (DNS rebinding); others get 400.

    ``*`` allows any host; ``*.example.org`` any subdomain of example.org.
    """

    def __init__(self, app: ASGIApp, allowed: Collection[str]) -> None:
        self.app = app
        names = [a.strip().lower().rstrip(".") for a in allowed]
        self.any = "*" in names
        self.exact = frozenset(n.strip("[]") for n in names if not n.startswith("*"))
        self.suffixes = tuple(n[1:] for n in names if n.startswith("*."))

    def allows(self, host: str | None) -> bool:
        """True for an allowed host name."""
        if self.any:
            return True
        if host is None:
            return False
        return host in self.exact or bool(self.suffixes and host.endswith(self.suffixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse an unknown Host with 400."""
        if scope["type"] in ("http", "websocket") and not self.allows(host_name(_header(scope, b"host"))):
            if scope["type"] == "http":
                await send_json(send, 400, "unknown Host header: add the name with --allowed-host or QA_ALLOWED_HOSTS")
            return
        await self.app(scope, receive, send)


class RouteGate:
    """Only the JSON API and the chat's own queue may be written to.

    Closed (404): Gradio's direct routes (``/gradio_api/run``, ``/gradio_api/api``), its upload
    route, its proxy, and calls by name of the page's private events (``/gradio_api/call/<name>``
    is open only for ``public`` names such as ``ask``). The page's events still run as the page
    runs them: through the queue, with its limits.
    """

    def __init__(self, app: ASGIApp, public: Callable[[], Collection[str]]) -> None:
        self.app = app
        self.public = public  # the Gradio app's public API names, looked up when asked

    def open(self, method: str, path: str) -> bool:
        """Whether ``method path`` may pass."""
        call = _CALL.match(path)
        if call:
            return method in ("GET", "POST") and call.group(1) in self.public()
        if path.startswith("/gradio_api/proxy="):
            return False
        if method in BODY_METHODS:
            return path.rstrip("/") in WRITABLE
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """404 for a closed route."""
        if scope["type"] == "http" and not self.open(scope["method"], scope["path"]):
            await send_json(send, 404, "not found")
            return
        await self.app(scope, receive, send)


class BodyLimit:
    """413 for a request body over the cap (``chat_limit`` for the chat's queue, ``limit`` elsewhere)."""

    def __init__(self, app: ASGIApp, limit: int, chat_limit: int) -> None:
        self.app = app
        self.limit = limit
        self.chat_limit = chat_limit

    def limit_for(self, path: str) -> int:
        """The cap for one route."""
        return self.chat_limit if path.rstrip("/") == CHAT_QUEUE else self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check Content-Length, or count a chunked body before the app sees it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        too_big = f"request body over {limit} bytes"
        length = _header(scope, b"content-length")
        if length is not None:
            if not length.strip().isdigit():
                await send_json(send, 400, "bad Content-Length")
            elif int(length) > limit:
                await send_json(send, 413, too_big, [(b"connection", b"close")])
            else:
                await self.app(scope, receive, send)
            return
        if scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        held: list[Message] = []
        size = 0
        while True:  # a chunked body: read it all (at most the cap) before the app sees it
            message = await receive()
            held.append(message)
            size += len(message.get("body", b""))
            if size > limit:
                await send_json(send, 413, too_big, [(b"connection", b"close")])
                return
            if message["type"] != "http.request" or not message.get("more_body", False):
                break

        async def replay() -> Message:
            return held.pop(0) if held else await receive()

        await self.app(scope, replay, send)


def middleware_stack(
    allowed_hosts: Collection[str],
    cors_origins: Collection[str],
    public: Callable[[], Collection[str]],
    limit: int,
    chat_limit: int,
) -> list[Middleware]:
    """The guards, outermost first (for ``FastAPI(middleware=...)``).

    Gradio sees Starlette's ``CORSMiddleware`` here and so leaves out its own, which would answer
    any localhost origin with credentials.
    """
    return [
        Middleware(SecurityHeaders),
        Middleware(HostCheck, allowed=allowed_hosts),
        Middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET", "POST"], max_age=600),
        Middleware(RouteGate, public=public),
        Middleware(BodyLimit, limit=limit, chat_limit=chat_limit),
    ]
