"""Live streams in tests: table sessions, a Server-Sent Events reader, and real servers.

A stream never ends by itself, and the in-process test client waits for a response to
end, so stream tests talk to real servers (`LiveServer`: uvicorn in a subprocess on a
loopback port) on a database of their own whose rows are committed
(`TestDatabase.create_migrated_database`).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from sqlmodel import Session

from app.models import User, Venue
from app.models.order import TableSession, TableSessionMember
from tests.factories.places import make_table

BACKEND_DIR = Path(__file__).resolve().parents[2]


def make_table_session(
    session: Session, *, venue: Venue, members: list[User] | None = None
) -> TableSession:
    table = make_table(session, venue=venue)
    table_session = TableSession(
        venue_id=venue.id, table_id=table.id, payment_mode=venue.payment_mode
    )
    session.add(table_session)
    session.flush()
    for user in members or []:
        session.add(TableSessionMember(session_id=table_session.id, user_id=user.id))
    session.flush()
    return table_session


# --- reading a stream -------------------------------------------------------------------


@dataclass
class SseEvent:
    event: str = "message"
    id: str | None = None
    data: str = ""
    retry: int | None = None
    comments: list[str] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.data)


class SseReader:
    """Events of an open `text/event-stream` response, one at a time."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.iter_lines()
        self.comments: list[str] = []

    def next(self, *, within: float | None = None) -> SseEvent:
        """The next event (blocks; the client's read timeout is the failure). With
        `within`, a `TimeoutError` once that many seconds pass without one (checked at
        every line: on a stream with heartbeats, soon after)."""
        deadline = None if within is None else time.monotonic() + within
        event = SseEvent()
        has_field = False
        for line in self._lines:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"no event within {within} s")
            if line == "":
                if has_field:
                    return event
                continue
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            has_field = True
            if name == "event":
                event.event = value
            elif name == "id":
                event.id = value
            elif name == "data":
                event.data = f"{event.data}\n{value}" if event.data else value
            elif name == "retry":
                event.retry = int(value)
        raise EOFError("the stream ended")

    def next_comment(self) -> str:
        """Read on until a comment line (a heartbeat) arrives."""
        seen = len(self.comments)
        for line in self._lines:
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
            if len(self.comments) > seen:
                return self.comments[seen]
        raise EOFError("the stream ended")

    def events_until_end(self) -> list[SseEvent]:
        events = []
        while True:
            try:
                events.append(self.next())
            except EOFError:
                return events


# --- real servers ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class LiveServer:
    """`uvicorn app.main:app` on a loopback port, against `database_url`."""

    def __init__(self, database_url: str, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "LIVE_LISTEN_AT_STARTUP": "true",
            "RATE_LIMIT_ENABLED": "false",
            **env,
        }
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> LiveServer:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            cwd=BACKEND_DIR,
            env=self._env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                output = self.proc.stdout.read() if self.proc.stdout else ""
                raise AssertionError(f"server exited with {self.proc.returncode}:\n{output}")
            try:
                if httpx.get(f"{self.base}/api/v1/utils/ready", timeout=5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise AssertionError(f"{self.base} did not become ready")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hang is the failure
            self.proc.kill()
            self.proc.communicate()
        self.proc = None

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=httpx.Timeout(30.0), **kwargs)
