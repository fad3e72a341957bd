"""Classical spatiotemporal fusion, vectorised and blockwise: STARFM (Gao et al. 2006), ESTARFM (Zhu et al. 2010)
and FSDAF (Zhu et al. 2016).

Every method takes fine_refs (K, C, H, W), coarse_refs (K, C, H/r, W/r) and coarse_t1 (C, H/r, W/r)
with NaN where masked, the ratio r, ``block`` (fine pixels), ``device`` and its published parameters
as keyword arguments, and returns the fine image at t1 (C, H, W) with NaN where it cannot predict.
"""
from __future__ import annotations

import inspect

from ..errors import ConfigError
from ..methods import FUSION


def check_options(method: str, model: str, options: dict) -> None:
    """Raise ConfigError naming ``methods.<method>.options.<key>`` for a keyword ``model`` does not take."""
    signature = inspect.signature(FUSION[model].load())  # the function, imported on first use (see stfusion.methods)
    accepted = [name for name, p in signature.parameters.items() if p.kind == p.KEYWORD_ONLY]
    for key in options:
        if key not in accepted or key in ("block", "device"):
            raise ConfigError(f"methods.{method}.options.{key} is not a parameter of {model}; "
                              f"it takes {', '.join(a for a in accepted if a not in ('block', 'device'))}")


__all__ = ["check_options"]
