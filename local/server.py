"""The laptop stack's HTTP front door: an ASGI app served by uvicorn in a background thread.

- `/api/v1/...`: the REST API through `local.gateway.Gateway`;
- `GET /health`: 200 when the server is up (the e2e fixture and `make dev` users wait on it);
- `ws://.../ws`: the WebSocket API; until it is built, a connection is told so and closed.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn

from local.gateway import MAX_REQUEST_BYTES, Gateway, HttpRequest, HttpResponse
from runs import constants

logger = logging.getLogger("local.server")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
WebSocketApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HEALTH_PATH = "/health"
WEBSOCKET_PATH = "/ws"


class LocalServer:
    """ASGI application: REST through the gateway, health, and the WebSocket endpoint."""

    def __init__(self, gateway: Gateway, websocket_app: WebSocketApp | None = None) -> None:
        self.gateway = gateway
        self.websocket_app = websocket_app or websocket_not_available

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            if scope["path"] == WEBSOCKET_PATH:
                await self.websocket_app(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": 1008})
        elif scope["type"] == "lifespan":
            await _lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path = scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0] or scope["path"]
        request = HttpRequest(
            method=scope["method"],
            raw_path=raw_path,
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]),
            body=b"",
            source_ip=(scope.get("client") or ("127.0.0.1", 0))[0],
        )
        if raw_path == HEALTH_PATH and request.method in ("GET", "HEAD"):
            await _send(send, HttpResponse(200, [("content-type", "application/json")], b'{"status":"ok"}'))
            return
        if not (raw_path == constants.API_BASE_PATH or raw_path.startswith(constants.API_BASE_PATH + "/")):
            detail = "No resource exists at this path."
            await _send(send, self.gateway.problem_response(request, str(uuid.uuid4()), 404, "NOT_FOUND", detail))
            return
        body = await _read_body(receive, request, MAX_REQUEST_BYTES)
        if body is None:
            await _send(send, self.gateway.payload_too_large(request))
            return
        await _send(send, await self.gateway.handle(_with_body(request, body)))


def _with_body(request: HttpRequest, body: bytes) -> HttpRequest:
    return dataclasses.replace(request, body=body)


async def _read_body(receive: Receive, request: HttpRequest, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is known to exceed `limit` (the rest is not read)."""
    declared = request.header("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(send: Send, response: HttpResponse) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    if response.status not in (204, 304):
        headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    body = response.body if response.status not in (204, 304) else b""
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def websocket_not_available(scope: Scope, receive: Receive, send: Send) -> None:
    """Placeholder for the WebSocket API: accept, say it is not there yet, close."""
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    error = {"type": "error", "code": "NOT_IMPLEMENTED", "message": "The WebSocket API is not available yet."}
    await send({"type": "websocket.send", "text": json.dumps(error)})
    await send({"type": "websocket.close", "code": 1011})


class BackgroundServer:
    """uvicorn serving an ASGI app from a daemon thread, on a socket bound before it starts.

    Binding first makes port 0 (any free port) work and makes a busy port fail here, loudly.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, access_log: bool = False) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind((host, port))
        except OSError:
            self.socket.close()
            raise
        self.host, self.port = self.socket.getsockname()[:2]
        config = uvicorn.Config(
            app,
            lifespan="off",
            log_level="warning",
            access_log=access_log,
            ws="websockets-sansio",
            timeout_graceful_shutdown=5,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, name="uvicorn", daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self.socket])
        except BaseException as error:  # reported by start()
            self.error = error

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if self.error is not None or not self.thread.is_alive():
                raise RuntimeError(f"uvicorn did not start: {self.error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start in time")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()
