"""Classical spatiotemporal fusion (SPEC 3.5): STARFM, ESTARFM and FSDAF, vectorised and blockwise.

Every method takes fine_refs (K, C, H, W), coarse_refs (K, C, H/r, W/r) and coarse_t1 (C, H/r, W/r)
with NaN where masked, the ratio r, ``block`` (fine pixels), ``device`` and its published parameters
as keyword arguments, and returns the fine image at t1 (C, H, W) with NaN where it cannot predict.
"""
from __future__ import annotations

import importlib
import inspect
from typing import Callable

from ..errors import ConfigError

CLASSICAL = ("starfm", "estarfm", "fsdaf")  # each the name of its module and of its function


def classical_method(model: str) -> Callable:
    """The function of a classical method, its module imported on first use: ESTARFM pulls in scipy.stats and
    FSDAF scikit-learn (about 1 s of imports together), which a job of another method need not pay for."""
    return getattr(importlib.import_module(f"{__name__}.{model}"), model)


def check_options(method: str, model: str, options: dict) -> None:
    """Raise ConfigError naming ``methods.<method>.options.<key>`` for a keyword ``model`` does not take."""
    accepted = [name for name, p in inspect.signature(classical_method(model)).parameters.items() if p.kind == p.KEYWORD_ONLY]
    for key in options:
        if key not in accepted or key in ("block", "device"):
            raise ConfigError(f"methods.{method}.options.{key} is not a parameter of {model}; "
                              f"it takes {', '.join(a for a in accepted if a not in ('block', 'device'))}")


__all__ = ["CLASSICAL", "check_options", "classical_method"]
