"""pelican-widget: fit a small vector drawing to an image, live in Jupyter.

The optimiser runs in the browser (WebGPU, or a WebAssembly SIMD kernel);
this package holds the widget, the scene model, target loading, the NumPy
reference renderer and SVG export; :func:`fit` and :func:`fit_many` run the
same engine with no browser, under Node (:mod:`pelican_widget.headless`).
numpy and pillow are imported lazily, so the package imports in Pyodide
without them.
"""

from .headless import fit, fit_many
from .raster import loss, render
from .samples import sample
from .scene import Circle, Curve, Ellipse, Rect, Scene, Triangle
from .target import default_target, load_target
from .widget import PelicanWidget

__all__ = [
    "Circle",
    "Curve",
    "Ellipse",
    "PelicanWidget",
    "Rect",
    "Scene",
    "Triangle",
    "default_target",
    "fit",
    "fit_many",
    "load_target",
    "loss",
    "render",
    "sample",
]
__version__ = "0.1.0"
