"""Shared benchmark harness: a uvicorn server in a subprocess, `wrk`, a scratch database.

    from bench.common import serve, run_wrk, report, scratch_database

    with scratch_database("socia_bench_x") as db_url, serve(env={"DATABASE_URL": db_url}) as base:
        ceiling = {c: run_wrk(f"{base}/bench/ceiling", connections=c) for c in (16, 64)}
        rows = [("feed", c, run_wrk(f"{base}/api/v1/...", connections=c)) for c in (16, 64)]
    report(rows, ceiling)

Numbers move 5-30% from run to run on a shared 2-core machine: compare ratios to
the ceiling measured in the same run (see ../shared/PERFORMANCE.md).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
from psycopg import sql
from sqlalchemy import make_url

BACKEND_DIR = Path(__file__).resolve().parents[1]
HEALTH_PATH = "/api/v1/utils/health"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432"

# wrk calls done() once at the end; print one JSON line we can parse. A script that
# keeps its threads in a global `wrk_threads` (from its setup()) and counts its
# request() calls in a global `sent` has the requests sent reported too (-1: not
# counted): one call fewer, since wrk calls request() once on the first thread to
# check it (script_verify_request) and never sends that one.
_WRK_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  local sent = -1
  if wrk_threads then
    sent = -1
    for _, t in ipairs(wrk_threads) do sent = sent + (t:get("sent") or 0) end
  end
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"sent":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout, sent))
end
"""


class BenchError(RuntimeError):
    """The benchmark could not run (missing tool, server did not start)."""


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx/3xx responses + socket errors (connect, read, write, timeout)
    requests: int  # answered within the run
    sent: int | None = None  # sent, answered or not (scripts that count them: see _WRK_LUA)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(base: str, proc: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"server exited with code {proc.returncode} before it was ready")
        try:
            if httpx.get(base + HEALTH_PATH, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise BenchError(f"server at {base} not ready after {timeout_s:.0f} s")


@contextmanager
def serve(
    app_path: str = "bench.ceiling_app:app",
    *,
    env: dict[str, str],
    log_path: Path | None = None,
) -> Iterator[str]:
    """Run `app_path` under uvicorn (1 worker) on a free loopback port; yield its base URL.

    `env` is added to the current environment (e.g. DATABASE_URL). Rate limits are
    off and logging is quiet unless `env` says otherwise. The server's output goes to
    `log_path` when given (to read its errors afterwards), else to this terminal.
    """
    port = free_port()
    full_env = {
        **os.environ,
        "RATE_LIMIT_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        **env,
    }
    cmd = [
        sys.executable, "-m", "uvicorn", app_path,
        "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with ExitStack() as stack:
        log = stack.enter_context(open(log_path, "ab")) if log_path is not None else None
        proc = subprocess.Popen(cmd, cwd=BACKEND_DIR, env=full_env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(base, proc)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_drained(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    fast_ms: float = 50.0,
    timeout_s: float = 120.0,
) -> None:
    """Wait until the server has worked off what a previous run left queued.

    A saturated sync run keeps working after the client leaves; polls the health
    endpoint and `url` itself until both answer quickly three times in a row.
    """
    parts = urlsplit(url)
    probes = [f"{parts.scheme}://{parts.netloc}{HEALTH_PATH}", url]
    deadline = time.monotonic() + timeout_s
    fast_in_a_row = 0
    with httpx.Client(timeout=10.0, headers=headers) as client:
        while time.monotonic() < deadline:
            slowest = 0.0
            for probe in probes:
                start = time.perf_counter()
                try:
                    client.get(probe)
                except httpx.HTTPError:
                    slowest = float("inf")
                    break
                slowest = max(slowest, (time.perf_counter() - start) * 1000)
            fast_in_a_row = fast_in_a_row + 1 if slowest < fast_ms else 0
            if fast_in_a_row >= 3:
                return
            time.sleep(0.2)
    print(f"warning: {url} still slow after {timeout_s:.0f} s", file=sys.stderr)


def _wrk_binary() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise BenchError("wrk is not installed; install it with: apt-get install -y wrk")
    return path


def _wrk_once(
    url: str,
    *,
    connections: int,
    duration_s: int,
    threads: int,
    headers: dict[str, str] | None,
    timeout_s: int,
    lua: str = "",
) -> WrkResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua + "\n" + _WRK_LUA)
    try:
        cmd = [
            _wrk_binary(),
            f"-t{max(1, min(threads, connections))}",
            f"-c{connections}",
            f"-d{duration_s}s",
            f"--timeout={timeout_s}s",
            "-s", script.name,
        ]  # fmt: skip
        for name, value in (headers or {}).items():
            cmd += ["-H", f"{name}: {value}"]
        cmd.append(url)
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    finally:
        os.unlink(script.name)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise BenchError(f"wrk failed (exit {out.returncode}): {out.stderr or out.stdout}")
    data = json.loads(line.removeprefix("WRKJSON "))
    seconds = max(data["duration_us"], 1) / 1e6
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    return WrkResult(
        rps=data["requests"] / seconds,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=errors,
        requests=data["requests"],
        sent=data["sent"] if data["sent"] >= 0 else None,
    )


def run_wrk(
    url: str,
    *,
    connections: int,
    duration_s: int = 15,
    warmup_s: int = 3,
    threads: int = 2,
    headers: dict[str, str] | None = None,
    timeout_s: int = 5,
    lua: str = "",
    drain_url: str | None = None,
) -> WrkResult:
    """Warm up, wait for the server to drain, measure for `duration_s`, drain again.

    `lua` is prepended to wrk's script (e.g. a `request` function that POSTs);
    `drain_url` is probed for draining instead of `url` (a GET must answer there)."""
    probe = drain_url or url
    _wrk_binary()
    wait_drained(probe, headers=headers)
    if warmup_s > 0:
        _wrk_once(
            url,
            connections=connections,
            duration_s=warmup_s,
            threads=threads,
            headers=headers,
            timeout_s=timeout_s,
            lua=lua,
        )
        wait_drained(probe, headers=headers)
    result = _wrk_once(
        url,
        connections=connections,
        duration_s=duration_s,
        threads=threads,
        headers=headers,
        timeout_s=timeout_s,
        lua=lua,
    )
    wait_drained(probe, headers=headers)
    return result


def report(rows: list[tuple[str, int, WrkResult]], ceiling: dict[int, WrkResult]) -> None:
    """Print req/s, p50, p99, errors and the ratio to the ceiling at the same connections."""
    all_rows = [("ceiling (async, constant JSON)", c, r) for c, r in sorted(ceiling.items())]
    all_rows += rows
    width = max(len(name) for name, _, _ in all_rows)
    header = (
        f"{'endpoint':<{width}}  {'conns':>5}  {'req/s':>9}  {'p50 ms':>8}  "
        f"{'p99 ms':>8}  {'errors':>6}  {'vs ceiling':>10}"
    )
    print(header)
    print("-" * len(header))
    for name, conns, r in all_rows:
        base = ceiling.get(conns)
        ratio = f"{r.rps / base.rps:.2f}x" if base and base.rps else "-"
        print(
            f"{name:<{width}}  {conns:>5}  {r.rps:>9,.0f}  {r.p50_ms:>8.1f}  "
            f"{r.p99_ms:>8.1f}  {r.errors:>6}  {ratio:>10}"
        )
    sys.stdout.flush()


@contextmanager
def scratch_database(name: str, *, keep: bool = False) -> Iterator[str]:
    """A fresh database `name` on the machine's PostgreSQL, migrated to head.

    The server comes from BENCH_PG_URL (default postgresql://postgres@127.0.0.1:5432).
    Yields its SQLAlchemy URL (postgresql+psycopg://...); dropped afterwards unless `keep`.
    """
    from app.core.migrations import upgrade_head

    server = make_url(os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    admin = server.set(drivername="postgresql", database="postgres")
    admin_dsn = admin.render_as_string(hide_password=False)
    ident = sql.Identifier(name)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))
    url = server.set(drivername="postgresql+psycopg", database=name).render_as_string(
        hide_password=False
    )
    try:
        upgrade_head(url=url)
        yield url
    finally:
        if not keep:
            with psycopg.connect(admin_dsn, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))


def copy_rows(
    cursor: psycopg.Cursor[tuple[object, ...]], statement: str, rows: Iterable[str]
) -> None:
    """Stream text rows into a `COPY ... FROM STDIN`, in chunks of 50,000 lines."""
    with cursor.copy(statement) as copy:
        buffer = io.StringIO()
        for n, line in enumerate(rows):
            buffer.write(line)
            if n % 50_000 == 49_999:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())
