"""Whether a site's grid follows a sensor's own pixel grid, told when the catalogue reads the scenes.

A scene already in the site's projection at the pixel size the site gives its sensor is copied pixel for pixel
only when its pixel edges are the grid's; shifted by a fraction of a pixel, every pixel is interpolated (or
averaged) from its neighbours and the image is smoothed for nothing. The site's ``anchor`` (a fine pixel corner
the grid shares) makes the grid follow it: Landsat Collection 2 pixel corners lie 15 m off multiples of 30 m.
"""
from __future__ import annotations

import math
from typing import Sequence

import pandas as pd
from rasterio.crs import CRS

from .grid import SiteGrid

TOLERANCE = 0.01  # of a pixel: shifts below this are rounding, not a misaligned grid


def grid_shift(crs: str, bounds: Sequence[float], width: int, height: int, grid: SiteGrid,
               ratio: int) -> tuple[float, float] | None:
    """(x, y) in metres from the grid's nearest pixel edges to the scene's, each within half a pixel; None when the
    scene is in another projection or at another pixel size (it is resampled in any case)."""
    left, bottom, right, top = bounds
    size = grid.pixel_size * ratio
    if CRS.from_user_input(crs) != CRS.from_user_input(grid.crs):
        return None
    if not (math.isclose((right - left) / width, size, rel_tol=1e-6) and math.isclose((top - bottom) / height, size,
                                                                                       rel_tol=1e-6)):
        return None
    return _remainder(left - grid.x_min, size), _remainder(top - grid.y_max, size)


def _remainder(distance: float, size: float) -> float:
    """``distance`` modulo ``size``, in [-size / 2, size / 2)."""
    return (distance + size / 2) % size - size / 2


def misalignment_warning(site: str, sensor: str, scene: str, shift: tuple[float, float], grid: SiteGrid,
                         ratio: int) -> str | None:
    """The warning for a scene whose pixel edges are off the grid's, with the anchor that aligns them; None when
    they are on it."""
    size = grid.pixel_size * ratio
    if max(abs(shift[0]), abs(shift[1])) <= TOLERANCE * size:
        return None
    anchor = [round((grid.x_min + shift[0]) % size, 6), round((grid.y_max + shift[1]) % size, 6)]  # any edge of it
    return (f"site {site}: the grid's pixel edges are {shift[0]:+g} m (x), {shift[1]:+g} m (y) off sensor {sensor}'s own "
            f"grid (scene {scene}), so each of its scenes is resampled rather than copied pixel for pixel: set "
            f"`sites.{site}.anchor: {anchor}` to follow the sensor's grid")


def alignment_warnings(catalogue: pd.DataFrame, grid: SiteGrid, site: str) -> list[str]:
    """One warning per sensor of a site's catalogue whose scenes are off the grid's pixel edges (its first such)."""
    warnings = []
    for sensor, scenes in catalogue.groupby("sensor", sort=False):
        ratio = grid.ratio(sensor)
        for scene in scenes.itertuples():
            shift = grid_shift(scene.crs, scene.bounds, scene.width, scene.height, grid, ratio)
            warning = shift and misalignment_warning(site, sensor, scene.path, shift, grid, ratio)
            if warning:
                warnings.append(warning)
                break
    return warnings
