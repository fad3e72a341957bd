"""Classical spatiotemporal fusion, vectorised and blockwise: STARFM (Gao et al. 2006), ESTARFM (Zhu et al. 2010)
and FSDAF (Zhu et al. 2016).

Every method takes fine_refs (K, C, H, W), coarse_refs (K, C, H/r, W/r) and coarse_t1 (C, H/r, W/r)
with NaN where masked, the ratio r, ``block`` (fine pixels), ``device`` and its published parameters
as keyword arguments, and returns the fine image at t1 (C, H, W) with NaN where it cannot predict.
"""
from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from ..errors import ConfigError
from ..methods import FUSION

SET_BY_THE_PIPELINE = ("block", "device")  # keyword-only, but from `prediction.block` and `training.device`


def published_parameters(model: str) -> list[str]:
    """The keyword-only parameters of a classical method's function that a config may set, read from its module's
    source: the check runs when Snakemake builds the DAG, whose process must not import PyTorch (stfusion.methods)
    as importing the function would."""
    module, name = FUSION[model].implementation.split(":")
    tree = ast.parse(Path(importlib.util.find_spec(module).origin).read_text())
    function = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == name)
    return [arg.arg for arg in function.args.kwonlyargs if arg.arg not in SET_BY_THE_PIPELINE]


def check_options(method: str, model: str, options: dict) -> None:
    """Raise ConfigError naming ``methods.<method>.options.<key>`` for a keyword ``model`` does not take."""
    accepted = published_parameters(model)
    for key in options:
        if key not in accepted:
            raise ConfigError(f"methods.{method}.options.{key} is not a parameter of {model}: it takes "
                              f"{', '.join(accepted)}; fix the name or remove it")


__all__ = ["check_options"]
