"""Progress bars (tqdm, on stderr) fed by engine events; none where tqdm is missing."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

EventHandler = Callable[[dict[str, Any]], None]


def _tqdm() -> Any:
    try:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]
    except ImportError:
        return None
    return tqdm


@contextlib.contextmanager
def step_bar(enabled: bool) -> Iterator[EventHandler | None]:
    """Yield an event handler that draws one fit's optimiser steps, shapes and loss.

    The total is the steps the search plans if every round is kept; rejected
    rounds run past it, so the bar stops at the total until the end.
    """
    tqdm = _tqdm() if enabled else None
    if tqdm is None:
        yield None
        return
    bar: Any = None
    state: dict[str, Any] = {}

    def on_event(event: dict[str, Any]) -> None:
        nonlocal bar
        kind = event["event"]
        if kind == "start":
            bar = tqdm(total=event["plannedSteps"], unit="step", desc=event["backend"])
            return
        if bar is None:
            return
        if kind == "done" and event["stopped"] != "aborted":
            bar.update(bar.total - bar.n)  # progress is throttled: show the finished run whole
        elif kind == "progress":
            bar.update(min(event["step"], bar.total) - bar.n)
            state["loss"] = f"{event['loss']:.5f}"
        elif kind == "round":
            state["shapes"] = event["shapes"]
        bar.set_postfix(state, refresh=False)

    try:
        yield on_event
    finally:
        if bar is not None:
            bar.close()


@contextlib.contextmanager
def image_bar(enabled: bool, total: int) -> Iterator[Callable[[str], None] | None]:
    """Yield a callback that advances a bar over a batch's images, given an image's name."""
    tqdm = _tqdm() if enabled else None
    if tqdm is None:
        yield None
        return
    bar = tqdm(total=total, unit="image")

    def advance(name: str) -> None:
        bar.set_postfix_str(name, refresh=False)
        bar.update(1)

    try:
        yield advance
    finally:
        bar.close()


def note(message: str) -> None:
    """Print a line to stderr without breaking a progress bar that is drawn there."""
    tqdm = _tqdm()
    if tqdm is None:
        print(message, file=sys.stderr)
    else:
        tqdm.write(message, file=sys.stderr)
