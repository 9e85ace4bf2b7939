"""A fake MSG91-style SMS gateway: a real HTTP server on 127.0.0.1 in a thread.

with FakeSmsGateway() as gateway:
    gateway.mode = "refuse"       # "ok", "refuse" (type=error), "crash" (500), "garbage"
    ... Msg91Sms(url=gateway.url, ...) ...
    gateway.requests              # every JSON body received, with its headers
    gateway.release = threading.Event()   # a slow gateway: answers wait until it is set
    gateway.arrived.wait(5)       # a request has come in
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal

Mode = Literal["ok", "refuse", "crash", "garbage"]


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class FakeSmsGateway:
    AUTH_KEY = "fake-auth-key"

    def __init__(self) -> None:
        self.mode: Mode = "ok"
        self.requests: list[ReceivedRequest] = []
        self.arrived = threading.Event()
        self.release: threading.Event | None = None
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_raw": raw.decode(errors="replace")}
                gateway.requests.append(
                    ReceivedRequest(
                        path=self.path,
                        headers={k.lower(): v for k, v in self.headers.items()},
                        body=body,
                    )
                )
                gateway.arrived.set()
                if gateway.release is not None:
                    gateway.release.wait(30)
                if self.headers.get("authkey") != FakeSmsGateway.AUTH_KEY:
                    self._answer(401, {"type": "error", "message": "Authentication failure"})
                elif gateway.mode == "ok":
                    self._answer(200, {"type": "success", "message": "3763646c3058373530393938"})
                elif gateway.mode == "refuse":
                    self._answer(200, {"type": "error", "message": "Invalid template"})
                elif gateway.mode == "crash":
                    self._answer(500, {"type": "error", "message": "Internal error"})
                else:
                    self._send(200, b"<html>not json</html>", "text/html")

            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                self._send(status, json.dumps(payload).encode(), "application/json")

            def _send(self, status: int, data: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/api/v5/flow/"

    def start(self) -> FakeSmsGateway:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeSmsGateway:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
