"""A live server for the tests that need real sockets: ``lowalp serve`` in a subprocess on
127.0.0.1 and a free port, stopped (by its own process id) when the test ends."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
MAIN = "import sys; from lowalp.cli import main; sys.exit(main())"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Live:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start(args: list[str], log: Path, timeout: float = 60.0) -> Live:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", MAIN, "serve", "--port", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # its workers are stopped with it
        )
    live = Live(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}):\n{live.log_text()}")
        try:
            if httpx.get(live.url + "/api/health", timeout=1).status_code == 200:
                return live
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop(live)
    raise RuntimeError(f"the server did not answer in {timeout:g} s:\n{live.log_text()}")


def stop(live: Live) -> None:
    if live.process.poll() is None:
        os.killpg(live.process.pid, signal.SIGTERM)  # the group of this server only
        try:
            live.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(live.process.pid, signal.SIGKILL)
            live.process.wait(timeout=5)


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[Callable[..., Live]]:
    """``live_server(*serve_args)`` -> a running server; every one started is stopped."""
    started: list[Live] = []

    def make(*args: str) -> Live:
        live = start(list(args), tmp_path / f"server-{len(started)}.log")
        started.append(live)
        return live

    yield make
    for live in started:
        stop(live)
