"""Browser tests: `lowalp serve` in a subprocess, driven by Playwright through Debian's Chromium.

Headless only (CI runs as root with no display). Playwright never downloads a browser here: it
launches /usr/bin/chromium, which `make test` installs; without it these tests are skipped.
Screenshots go to tests/browser/artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "artifacts"


def pytest_configure(config: pytest.Config) -> None:
    # Declared in pyproject.toml too; repeated here so this folder runs on its own.
    config.addinivalue_line("markers", "browser: drives a real (headless) browser")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _lowalp_command() -> list[str]:
    script = Path(sys.executable).with_name("lowalp")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from lowalp.cli import main; sys.exit(main())"]


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """The base URL of a `lowalp serve` running on a free loopback port."""
    port = _free_port()
    log = ARTIFACTS / "server.log"
    ARTIFACTS.mkdir(exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*_lowalp_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"lowalp serve exited with {proc.returncode}: {log.read_text()}")
                try:
                    with urllib.request.urlopen(base + "/", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"lowalp serve did not answer within 30 s: {log.read_text()}")
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (make test installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" else None,
    )
    try:
        yield pg
    finally:
        context.close()
    assert errors == [], f"errors in the browser console: {errors}"


@pytest.fixture
def shot() -> Callable[..., Path]:
    """``shot(page, name)`` saves a screenshot as a test artefact and returns its path."""

    def take(page: Any, name: str, *, full_page: bool = True) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        assert path.stat().st_size > 0
        return path

    return take
