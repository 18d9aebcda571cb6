"""Strict trait types for the widget: a bad value raises in Python, never reaches the browser."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import traitlets

from .raster import LOSS_TERMS
from .raster import WEIGHTS as DEFAULT_WEIGHTS
from .scene import Scene

OBJECTIVES: dict[str, dict[str, float]] = {
    # The squared error alone: on photos the reference mix's priors (perimeter,
    # canvas margin) and its edge term drew worse pictures by MSE and by SSIM
    # (docs/engine.md, "Shape search").
    "mse": {
        "mse": 1.0,
        "edge": 0.0,
        "ssim": 0.0,
        "perimeter": 0.0,
        "degeneracy": 0.0,
        "canvas": 0.0,
    },
    # The design notes' mix, which the PyTorch original's figures use.
    "reference": dict(DEFAULT_WEIGHTS),
}


class StrictInt(traitlets.Int[int, int]):
    """An integer in ``[min, max]``; booleans and floats are refused."""

    def validate(self, obj: Any, value: Any) -> int:
        """Check the type strictly, then the bounds."""
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise traitlets.TraitError(
                f"'{self.name}' must be an integer, got {type(value).__name__} {value!r}"
            )
        return int(super().validate(obj, int(value)))


class FiniteFloat(traitlets.Float[float, float]):
    """A finite float in ``[min, max]`` (``exclusive_min`` excludes the lower bound)."""

    def __init__(self, default_value: float, exclusive_min: bool = False, **kwargs: Any):
        super().__init__(default_value, **kwargs)
        self.exclusive_min = exclusive_min

    def validate(self, obj: Any, value: Any) -> float:
        """Refuse non-numbers, NaN and infinities, then check the bounds."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise traitlets.TraitError(
                f"'{self.name}' must be a number, got {type(value).__name__} {value!r}"
            )
        value = float(value)
        if not math.isfinite(value):
            raise traitlets.TraitError(f"'{self.name}' must be finite, got {value!r}")
        if self.exclusive_min and self.min is not None and value <= self.min:
            raise traitlets.TraitError(f"'{self.name}' must be > {self.min}, got {value!r}")
        return float(super().validate(obj, value))


class SceneTrait(traitlets.TraitType[Scene, Any]):
    """A :class:`Scene`; accepts a ``Scene``, a wire-format dict or its JSON text."""

    info_text = "a Scene, a scene dict or scene JSON"

    def validate(self, obj: Any, value: Any) -> Scene:
        """Convert and validate, naming the shape and field that is wrong."""
        try:
            if isinstance(value, Scene):
                return value
            if isinstance(value, (str, bytes)):
                return Scene.from_json(value)
            if isinstance(value, Mapping):
                return Scene.from_dict(value)
        except ValueError as err:
            raise traitlets.TraitError(f"invalid '{self.name}': {err}") from None
        raise traitlets.TraitError(
            f"'{self.name}' must be a Scene, a dict or JSON text, got {type(value).__name__}"
        )


def scene_to_json(scene: Scene | None, _widget: Any = None) -> dict[str, Any] | None:
    """Serialise a scene trait for the browser."""
    return None if scene is None else scene.to_dict()


def scene_from_json(data: Any, _widget: Any = None) -> Any:
    """Pass browser data on to :class:`SceneTrait` validation."""
    return data


def check_weights(value: Any, base: Mapping[str, float] | None = None) -> dict[str, float]:
    """Validate loss weights and fill in the missing ones.

    Parameters
    ----------
    value : Mapping
        Some of ``mse, edge, ssim, perimeter, degeneracy, canvas`` mapped to
        finite, non-negative numbers.
    base : Mapping, optional
        Where the missing weights come from (default: the reference weights).

    Returns
    -------
    dict
        All six weights.

    Raises
    ------
    traitlets.TraitError
        For an unknown term, a non-number, a negative or non-finite weight.

    """
    if not isinstance(value, Mapping):
        raise traitlets.TraitError(f"'weights' must be a dict, got {type(value).__name__}")
    weights = dict(DEFAULT_WEIGHTS if base is None else base)
    for key, weight in value.items():
        if key not in LOSS_TERMS:
            raise traitlets.TraitError(
                f"unknown loss term {key!r} in 'weights'; expected one of {', '.join(LOSS_TERMS)}"
            )
        if isinstance(weight, bool) or not isinstance(weight, numbers.Real):
            raise traitlets.TraitError(f"weight {key!r} must be a number, got {weight!r}")
        if not math.isfinite(weight) or weight < 0:
            raise traitlets.TraitError(f"weight {key!r} must be finite and >= 0, got {weight!r}")
        weights[key] = float(weight)
    return weights


def check_loss(value: Any, name: str) -> dict[str, float]:
    """Validate a loss breakdown: term names mapped to numbers.

    JSON has no NaN, so the browser sends ``null`` for a non-finite value; it
    becomes ``nan`` here.
    """
    if not isinstance(value, Mapping):
        raise traitlets.TraitError(f"'{name}' must be a dict, got {type(value).__name__}")
    out: dict[str, float] = {}
    for key, number in value.items():
        if number is None:
            number = math.nan
        if not isinstance(key, str) or isinstance(number, bool):
            raise traitlets.TraitError(f"'{name}' has a bad entry {key!r}: {number!r}")
        if not isinstance(number, numbers.Real):
            raise traitlets.TraitError(f"'{name}' entry {key!r} must be a number, got {number!r}")
        out[key] = number if isinstance(number, int) and key == "step" else float(number)
    return out
