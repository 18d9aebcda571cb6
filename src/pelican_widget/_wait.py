"""Blocking in a cell while the kernel still receives widget messages.

While a cell runs, ipykernel does not read the shell channel, so trait updates
from the browser wait until the cell ends. To block in ``PelicanWidget.wait``
this module reads the kernel's shell messages itself: comm messages (widget
updates) are handled at once, anything else (e.g. the next cell's
``execute_request``) is kept and handed back to the kernel, in order, when the
current cell ends.

It supports ipykernel 7, whose shell channel thread forwards the main shell's
messages to the main thread through an inproc ZMQ socket. Where no such
kernel runs (plain Python, Pyodide/JupyterLite) :func:`kernel_poller` raises
``RuntimeError`` with the alternatives.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import Any

COMM_MESSAGES = {"comm_open", "comm_msg", "comm_close"}

PYODIDE_HINT = (
    "wait() cannot block in JupyterLite/Pyodide: the browser delivers widget "
    "updates to Python only after the current cell has finished. Read the "
    "results in a later cell, or react to them with "
    "w.observe(callback, names=['status'])."
)


class KernelPoller:
    """Handles the comm messages that reach the kernel while a cell blocks."""

    def __init__(self, kernel: Any, shell: Any):
        self._kernel = kernel
        self._shell = shell
        pair = kernel.shell_channel_thread.manager.get_shell_channel_to_subshell_pair(None)
        self._socket = pair.to_socket
        self._deferred: list[Any] = []

    def poll(self, timeout: float) -> int:
        """Handle the comm messages that arrive within ``timeout`` seconds.

        Parameters
        ----------
        timeout : float
            Seconds to wait for the first message.

        Returns
        -------
        int
            How many messages were read.

        """
        import zmq

        count = 0
        if not self._socket.poll(int(timeout * 1000), zmq.POLLIN):
            return 0
        while True:
            try:
                frames = self._socket.recv_multipart(zmq.NOBLOCK, copy=False)
            except zmq.Again:
                return count
            count += 1
            self._handle(frames)

    def _handle(self, frames: list[Any]) -> None:
        kernel = self._kernel
        session = kernel.session
        try:
            idents, rest = session.feed_identities(frames, copy=False)
            # a peek (content=False) does not record the signature, so the
            # kernel can still accept a deferred message when it replays it
            header = session.deserialize(rest, content=False, copy=False)["header"]
        except Exception:
            # Not ours to judge: the kernel logs it when it replays the message.
            self._defer(frames)
            return
        msg_type = header["msg_type"]
        if msg_type not in COMM_MESSAGES:
            self._defer(frames)
            return
        msg = session.deserialize(rest, content=True, copy=False)
        # Comm messages are handled even when an execute_request was deferred
        # before them ("run all" queues the next cell while this one waits);
        # ipykernel itself handles comms out of turn while an async cell runs.
        # The frontend sends the next widget update only after the kernel has
        # reported "idle" for the previous one (ipywidgets' message throttle).
        stream = kernel.shell_channel_thread.manager.get_subshell_to_shell_channel_socket(None)
        kernel._publish_status("busy", "shell", parent=msg)
        try:
            result = kernel.shell_handlers[msg_type](stream, idents, msg)
            if asyncio.iscoroutine(result):
                result.close()
                raise RuntimeError(f"the kernel's {msg_type} handler is async; wait() cannot block")
        finally:
            kernel._publish_status("idle", "shell", parent=msg)

    def _defer(self, frames: list[Any]) -> None:
        if not self._deferred:
            self._shell.events.register("post_run_cell", self._replay)
        self._deferred.append(frames)

    def _replay(self, *_args: Any) -> None:
        self._shell.events.unregister("post_run_cell", self._replay)
        deferred, self._deferred = self._deferred, []
        asyncio.ensure_future(self._dispatch_in_order(deferred))

    async def _dispatch_in_order(self, deferred: list[Any]) -> None:
        # One task holds the kernel's shell lock over all deferred messages.
        # Scheduling one shell_main task per message (as before) let a message
        # that reached the kernel later take the lock between two of them:
        # under "Run All" the cell after a wait() then ran last. The task is
        # created while the current cell still holds the lock, so it is first
        # in line (see below); a replayed cell that waits again defers to a new task that
        # queues behind this one, which keeps the order too. If the current
        # cell failed, the kernel is "aborting" and dispatch_shell answers the
        # deferred execute requests with aborts, as it would have.
        kernel = self._kernel
        lock = getattr(kernel, "_main_asyncio_lock", None) or contextlib.nullcontext()
        # A message the kernel's own stream read before this cell blocked (the
        # next cell's execute_request, read while this one started) is two
        # tasks away from queueing on the lock: ipykernel wraps shell_main in a
        # task that starts it as another task. This task was scheduled after
        # the first of them; one yield puts it behind the second, so the
        # earlier message queues first. A message read only after this cell
        # ends is two iterations away, behind this task.
        await asyncio.sleep(0)
        async with lock:
            for frames in deferred:
                try:
                    await kernel.dispatch_shell(frames, subshell_id=None)
                except Exception:  # noqa: BLE001 - one bad message must not drop the rest
                    kernel.log.error(
                        "pelican-widget: replaying a deferred message failed", exc_info=True
                    )


def kernel_poller() -> KernelPoller:
    """Return a poller for the running ipykernel.

    Raises
    ------
    RuntimeError
        In Pyodide/JupyterLite, outside a kernel, or with an ipykernel whose
        message loop this module does not know.

    """
    if sys.platform == "emscripten":
        raise RuntimeError(PYODIDE_HINT)
    try:
        import IPython
    except ImportError:
        shell = None
    else:
        shell = IPython.get_ipython()  # type: ignore[attr-defined, no-untyped-call]
    kernel = getattr(shell, "kernel", None)
    thread = getattr(kernel, "shell_channel_thread", None)
    if kernel is None or thread is None:
        raise RuntimeError(
            "wait() needs a Jupyter kernel (ipykernel >= 7) that can process widget "
            "messages while a cell runs; read the results in a later cell, or use "
            "w.observe(callback, names=['status'])."
        )
    return KernelPoller(kernel, shell)
