"""One engine job in one Node process: start it, stream its events, stop it.

The protocol (JSON lines over stdin/stdout) is written down in
``js/headless/main.js``. Node runs in a session of its own, so a Ctrl-C in a
terminal reaches only Python, which then asks the engine to stop through
stdin: the engine finishes its current step, keeps its best drawing and
answers with it as usual. If Python dies, stdin closes and the engine stops
by itself.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from importlib import resources
from typing import Any

from .node import find_node

# How often a waiting caller looks at its stop event.
_POLL_S = 0.1
# An engine that has answered (or lost its stdin) exits at once; past this it is killed.
_EXIT_GRACE_S = 10.0


class EngineError(RuntimeError):
    """The engine refused the job or failed while running it."""


def bundle_path() -> str:
    """Return the path of the bundled Node entry (``static/headless.mjs``)."""
    path = resources.files("pelican_widget").joinpath("static").joinpath("headless.mjs")
    if not path.is_file():
        raise EngineError(
            f"the engine's Node bundle is missing ({path}); build the frontend "
            "(cd js && npm run build) or install a built wheel"
        )
    return str(path)


def run_job(
    job: dict[str, Any],
    on_event: Callable[[dict[str, Any]], None] | None = None,
    stop: threading.Event | None = None,
) -> dict[str, Any]:
    """Run one job and return its ``done`` event.

    Parameters
    ----------
    job
        The job object of ``js/headless/main.js``.
    on_event
        Called in this thread with each ``start``, ``progress``, ``round`` and ``done`` event.
    stop
        When set (from any thread), the engine stops and answers with its best drawing.

    Returns
    -------
    dict
        The ``done`` event: ``scene``, ``loss``, ``steps``, ``stopped``, ``seconds``.

    Raises
    ------
    EngineError
        When the engine answers with an error or exits without an answer.
    KeyboardInterrupt
        Never for the first Ctrl-C: that stops the engine and the best drawing
        is returned (``stopped == "aborted"``); a second one kills the engine.

    """
    node = find_node()
    creationflags = 0
    if sys.platform == "win32":
        creationflags = subprocess.CREATE_NEW_PROCESS_GROUP
    process = subprocess.Popen(
        [node.path, bundle_path()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        start_new_session=sys.platform != "win32",
        creationflags=creationflags,
    )
    events: queue.Queue[dict[str, Any] | None] = queue.Queue()
    stderr: list[str] = []
    readers = [
        threading.Thread(target=_read_events, args=(process, events), daemon=True),
        threading.Thread(target=_read_stderr, args=(process, stderr), daemon=True),
    ]
    for reader in readers:
        reader.start()
    stopping = False

    def ask_stop() -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            _send(process, {"stop": True})

    def interrupted() -> None:
        if stopping:
            raise KeyboardInterrupt
        ask_stop()

    answer: dict[str, Any] | None = None
    try:
        _send(process, job)
        while answer is None:
            try:
                event = events.get(timeout=_POLL_S)
            except queue.Empty:
                if stop is not None and stop.is_set():
                    ask_stop()
                continue
            except KeyboardInterrupt:
                interrupted()
                continue
            if event is None:
                process.wait(timeout=_EXIT_GRACE_S)
                for reader in readers:
                    reader.join(timeout=_EXIT_GRACE_S)
                detail = "".join(stderr).strip() or f"exit code {process.returncode}"
                raise EngineError(f"the engine exited without an answer: {detail}")
            kind = event.get("event")
            if kind == "error":
                raise EngineError(str(event.get("message")))
            if kind == "done":
                answer = event
            if on_event is not None:
                # a Ctrl-C lands wherever this thread is, the caller's handler included
                try:
                    on_event(event)
                except KeyboardInterrupt:
                    interrupted()
        return answer
    finally:
        _close(process)


def _send(process: subprocess.Popen[str], message: dict[str, Any]) -> None:
    try:
        assert process.stdin is not None
        process.stdin.write(json.dumps(message) + "\n")
        process.stdin.flush()
    except (BrokenPipeError, OSError, ValueError):
        pass  # the engine has gone; its missing answer is reported by the reader


def _read_events(
    process: subprocess.Popen[str], events: queue.Queue[dict[str, Any] | None]
) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        line = line.strip()
        if not line:
            continue
        try:
            events.put(json.loads(line))
        except json.JSONDecodeError:
            events.put({"event": "error", "message": f"the engine printed {line[:200]!r}"})
    events.put(None)


def _read_stderr(process: subprocess.Popen[str], sink: list[str]) -> None:
    assert process.stderr is not None
    for line in process.stderr:
        sink.append(line)


def _close(process: subprocess.Popen[str]) -> None:
    try:
        if process.stdin is not None:
            process.stdin.close()
    except OSError:
        pass
    try:
        process.wait(timeout=_EXIT_GRACE_S)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        process.kill()
        process.wait()
