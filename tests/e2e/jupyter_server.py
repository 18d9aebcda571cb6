"""Start a real Jupyter server (JupyterLab or Notebook 7) for browser tests.

The server listens on 127.0.0.1 on a free port, with token, password and XSRF
checks off (the tests are the only client). Kernels inherit ``env``, so
``PYTHONPATH`` can point them at the package source.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def source_first(env: dict[str, str]) -> None:
    """Put the package source (src/) first on ``env``'s PYTHONPATH."""
    path = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = str(REPO / "src") + (os.pathsep + path if path else "")


def wait_serving(
    proc: subprocess.Popen, url: str, name: str, log: Callable[[], str], timeout: float
) -> None:
    """Wait until ``url`` answers 200; fail if ``proc`` exits first or ``timeout`` s pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited early:\n{log()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{name} did not start in {timeout} s:\n{log()}")


def stop_group(proc: subprocess.Popen) -> None:
    """Stop a server started with ``start_new_session``: SIGTERM, then SIGKILL after 15 s."""
    if proc.poll() is None:
        # the server's own process group: it and its kernels, nothing else
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


class JupyterServer:
    """``jupyter lab`` or ``jupyter notebook`` in a subprocess, stopped on exit."""

    def __init__(self, app: str, root_dir: Path, env: dict[str, str] | None = None):
        if app not in ("lab", "notebook"):
            raise ValueError(f"app must be 'lab' or 'notebook', got {app!r}")
        self.app = app
        self.root_dir = Path(root_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self.log_path = self.root_dir.parent / f"jupyter-{app}-{self.port}.log"
        self._proc: subprocess.Popen | None = None

    def __enter__(self) -> JupyterServer:
        source_first(self.env)
        self.env.setdefault("JUPYTER_PLATFORM_DIRS", "1")
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab" if self.app == "lab" else "notebook",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",
            "--allow-root",
            f"--ServerApp.root_dir={self.root_dir}",
            # settings and workspaces of this server only: a test must not
            # read or change the user's JupyterLab (theme, open tabs)
            f"--LabServerApp.user_settings_dir={self.root_dir.parent / 'lab-user-settings'}",
            f"--LabServerApp.workspaces_dir={self.root_dir.parent / 'lab-workspaces'}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in __exit__
        self._proc = subprocess.Popen(
            cmd,
            cwd=self.root_dir,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_serving(self._proc, f"{self.url}/api/status", f"jupyter {self.app}", self.log, 90)
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def notebook_url(self, name: str) -> str:
        if self.app == "lab":
            return f"{self.url}/lab/tree/{name}"
        return f"{self.url}/notebooks/{name}"

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            stop_group(self._proc)
        self._log.close()


def wait_for_marker(page, name: str, timeout: float) -> dict:
    """Wait for a notebook output line ``NAME {json}`` and return the JSON; fail on a traceback."""
    js = """(name) => {
        for (const el of document.querySelectorAll('.jp-OutputArea-output')) {
            const text = el.textContent || '';
            // a traceback quotes the cell's source, the marker's print included
            if (text.includes('Traceback')) continue;
            const at = text.indexOf(name + ' ');
            if (at >= 0) return text.slice(at + name.length + 1).split('\\n')[0];
        }
        const errors = [...document.querySelectorAll('.jp-OutputArea-output')]
            .map((e) => e.textContent)
            .filter((t) => t.includes('Traceback') || t.includes('SyntaxError'));
        return errors.length ? 'ERROR ' + errors.join('\\n').slice(0, 3000) : null;
    }"""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = page.evaluate(js, name)
        if found and found.startswith("ERROR "):
            raise AssertionError(f"a notebook cell failed while waiting for {name}:\n{found}")
        if found:
            return json.loads(found)
        time.sleep(0.25)
    outputs = page.evaluate(
        "() => [...document.querySelectorAll('.jp-OutputArea-output')].map(e => e.textContent)"
    )
    raise AssertionError(f"no {name} output after {timeout} s; outputs: {outputs}")
