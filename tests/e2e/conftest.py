"""Shared fixtures for the browser tests: Debian chromium through Playwright,
a Jupyter server factory and the screenshot folder.

Fixtures stay generic: the widget, engine, WebGPU and JupyterLite tests all
use them. Pass extra Chromium flags with ``launch_chromium(extra_args)``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .jupyter_server import REPO, JupyterServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO / "test-artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def launch_chromium(playwright_instance) -> Iterator[Callable[..., object]]:
    """Return ``launch(extra_args=())``: a Chromium browser, closed after the session."""
    launched = []

    def launch(extra_args: tuple[str, ...] | list[str] = ()) -> object:
        browser = playwright_instance.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS + list(extra_args), headless=True
        )
        launched.append(browser)
        return browser

    yield launch
    for browser in launched:
        browser.close()


@pytest.fixture(scope="session")
def browser(launch_chromium) -> object:
    return launch_chromium()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def jupyter_server(tmp_path: Path) -> Iterator[Callable[..., JupyterServer]]:
    """Return ``start(app, files=(), env=None)``: a running server over a temp dir.

    ``app`` is "lab" or "notebook"; ``files`` are copied into the server's root.
    """
    servers: list[JupyterServer] = []

    def start(app: str, files: tuple[Path, ...] = (), env: dict[str, str] | None = None):
        root = tmp_path / f"root-{app}-{len(servers)}"
        root.mkdir()
        for f in files:
            shutil.copy(f, root / Path(f).name)
        server = JupyterServer(app, root, env)
        servers.append(server)
        return server.__enter__()

    yield start
    for server in reversed(servers):
        server.__exit__(None, None, None)
