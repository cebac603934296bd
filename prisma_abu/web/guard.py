"""The studio's gate: the access token and the upload size limit, as ASGI middleware.

Both run before any route, on every request. The token (required whenever the
server listens beyond 127.0.0.1) is accepted as ``Authorization: Bearer T``,
``?token=T`` or the ``prisma_abu_token`` cookie the page gets when it is opened
with ``?token=T``; it is compared in constant time. A request body longer
than the limit is refused with 413 before or while it is read, so an upload
never fills the disk.
"""

from __future__ import annotations

import hmac
import json
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qs

__all__ = ["TokenGuard", "BodyLimit", "BodyTooLarge", "Gate", "COOKIE", "LOOPBACK"]

COOKIE = "prisma_abu_token"
LOOPBACK = ("127.0.0.1", "localhost", "::1")

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


async def _answer(send: Any, status: int, message: str, headers: list[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})


def _presented(scope: Scope) -> tuple[str | None, bool]:
    """The token a request carries, and whether it came in the query (the page's first visit)."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), False
    query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
    if query:
        return query[0], True
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return value, False
    return None, False


class TokenGuard:
    """Refuse (401) every HTTP request without the token; give the page a cookie when it came in the query."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app, self.token = app, token

    def __getattr__(self, name: str) -> Any:  # the wrapped app's ``state``, ``openapi()``...
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if self.token is None or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given, in_query = _presented(scope)
        if given is None or not hmac.compare_digest(given.encode(), self.token.encode()):
            if scope["type"] == "http":
                await _answer(send, 401, "missing or wrong access token; expected the token `prisma-abu serve` "
                                         "printed (Authorization: Bearer TOKEN, or ?token=TOKEN)",
                              [(b"www-authenticate", b"Bearer")])
            return
        if not in_query:
            await self.app(scope, receive, send)
            return
        cookie = f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict".encode()

        async def send_with_cookie(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


class BodyTooLarge(Exception):
    """Raised while a body is read past the limit (the app answers 413)."""


def too_large(limit: int) -> str:
    return f"the request is larger than {limit} bytes; expected a smaller picture"


class BodyLimit:
    """Refuse (413) a request whose body is longer than ``limit`` bytes: by its Content-Length, or as it arrives."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = too_large(self.limit)
        for name, value in scope.get("headers", ()):
            if name.lower() == b"content-length" and value.isdigit() and int(value) > self.limit:
                await _answer(send, 413, message)
                return
        seen, started = 0, False

        async def counting_receive() -> dict[str, Any]:
            nonlocal seen
            event = await receive()
            if event["type"] == "http.request":
                seen += len(event.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge()
            return event

        async def watching_send(event: dict[str, Any]) -> None:
            nonlocal started
            started = started or event["type"] == "http.response.start"
            await send(event)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            if not started:
                await _answer(send, 413, message)


class Gate:
    """Answer a request before its body is read when ``refuse(method, path)`` gives ``(status, message, headers)``.

    The studio refuses a job while its queue is full this way: a flood of
    uploads costs the server no parsing.
    """

    def __init__(self, app: ASGIApp, refuse: Callable[[str, str], tuple[int, str, dict[str, str]] | None]) -> None:
        self.app, self.refuse = app, refuse

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        answer = self.refuse(scope.get("method", ""), scope.get("path", "")) if scope["type"] == "http" else None
        if answer is None:
            await self.app(scope, receive, send)
            return
        status, message, headers = answer
        await _answer(send, status, message, [(k.lower().encode(), v.encode()) for k, v in headers.items()])
