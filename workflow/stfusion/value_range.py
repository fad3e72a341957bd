"""Values beyond the sensor's range on the site grid (reflectance below 0 or above 1): counted per scene for the
inventory, then masked, clipped or kept as the config key ``quality.out_of_range`` says.

Atmospheric correction leaves small negative reflectance over dark surfaces (water, shadow): Landsat 7 ETM+
surface reflectance has pixels down to -0.004 (seen on real scenes, issue 27), and the valid range of the MODIS
surface reflectance bands starts at -0.01 (-100 at scale 1e-4, MODIS Surface Reflectance User's Guide,
Collection 6). So values within ``tolerance`` of the range are kept as measured (clipping them would brighten
dark surfaces); only those beyond it are counted and handled.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from .qa import OUT_OF_RANGE

ACTIONS = ("mask", "clip", "keep")


def out_of_range(reflectance: np.ndarray, value_range: tuple[float, float], tolerance: float,
                 flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixels not already flagged (cloud, shadow, missing) with a value in any band below ``low - tolerance``,
    and those with one above ``high + tolerance``."""
    low, high = value_range
    unflagged = flags == 0
    with np.errstate(invalid="ignore"):
        below = (reflectance < low - tolerance).any(axis=0) & unflagged
        above = (reflectance > high + tolerance).any(axis=0) & unflagged
    return below, above


def handle_out_of_range(reflectance: np.ndarray, flags: np.ndarray, value_range: tuple[float, float] | None,
                        settings: Mapping) -> tuple[np.ndarray, np.ndarray, dict[str, int | None]]:
    """Reflectance and flags after ``settings["action"]``, and the counts of pixels below and above the range.

    mask: the pixels get the OUT_OF_RANGE flag (missing in all bands, counted as nodata by the keep/drop rule);
    clip: each value beyond the tolerance becomes the nearest accepted one (``low - tolerance`` or
    ``high + tolerance``), so values keep their order and a pixel keeps its other bands; keep: nothing changes.
    A sensor without a value range has no counts (None).
    """
    if value_range is None:
        return reflectance, flags, {"below_range_pixels": None, "above_range_pixels": None}
    tolerance, action = settings["tolerance"], settings["action"]
    below, above = out_of_range(reflectance, value_range, tolerance, flags)
    counts = {"below_range_pixels": int(below.sum()), "above_range_pixels": int(above.sum())}
    if action == "mask":
        flags = flags | np.where(below | above, OUT_OF_RANGE, 0).astype(flags.dtype)
    elif action == "clip":
        low, high = value_range
        reflectance = np.clip(reflectance, low - tolerance, high + tolerance)
    elif action != "keep":
        raise ValueError(f"unknown out_of_range action {action!r}; known: {', '.join(ACTIONS)}")
    return reflectance, flags, counts
