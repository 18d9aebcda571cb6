"""The Jupyter widget (placeholder until issue 5 lands)."""

from __future__ import annotations

import pathlib

import anywidget
import traitlets


class PelicanWidget(anywidget.AnyWidget):
    """Placeholder widget."""

    _esm = pathlib.Path(__file__).parent / "static" / "widget.js"
    status = traitlets.Unicode("waiting for browser").tag(sync=True)
