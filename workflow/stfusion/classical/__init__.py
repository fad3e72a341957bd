"""Classical spatiotemporal fusion (SPEC 3.5): STARFM, ESTARFM and FSDAF, vectorised and blockwise.

Every method takes fine_refs (K, C, H, W), coarse_refs (K, C, H/r, W/r) and coarse_t1 (C, H/r, W/r)
with NaN where masked, the ratio r, ``block`` (fine pixels), ``device`` and its published parameters
as keyword arguments, and returns the fine image at t1 (C, H, W) with NaN where it cannot predict.
"""
from __future__ import annotations

import inspect

from ..errors import ConfigError
from .estarfm import estarfm
from .fsdaf import fsdaf
from .starfm import starfm

CLASSICAL = {"starfm": starfm, "estarfm": estarfm, "fsdaf": fsdaf}


def check_options(method: str, model: str, options: dict) -> None:
    """Raise ConfigError naming ``methods.<method>.options.<key>`` for a keyword ``model`` does not take."""
    accepted = [name for name, p in inspect.signature(CLASSICAL[model]).parameters.items() if p.kind == p.KEYWORD_ONLY]
    for key in options:
        if key not in accepted or key in ("block", "device"):
            raise ConfigError(f"methods.{method}.options.{key} is not a parameter of {model}; "
                              f"it takes {', '.join(a for a in accepted if a not in ('block', 'device'))}")


__all__ = ["CLASSICAL", "check_options", "estarfm", "fsdaf", "starfm"]
