"""The warning when a site's grid does not follow a sensor's own pixel grid (issue 27, item 7): with the default
anchor a Landsat scene's pixel edges lie 15 m off the grid's, and the anchor the warning gives aligns them."""
import pandas as pd
import pytest

from stfusion.alignment import alignment_warnings, grid_shift
from stfusion.grid import build_site_grid

UTM = "EPSG:32633"
RATIOS = {"landsat8_oli": 1, "modis": 16}
SITE_BOUNDS = (500000.0, 5000000.0, 502000.0, 5002000.0)


def landsat_scene(left: float, top: float, crs: str = UTM, pixel: float = 30.0) -> dict:
    """A catalogue row of a 100 x 100 pixel scene with its upper-left corner at (left, top)."""
    return {"sensor": "landsat8_oli", "path": "LC08_scene", "crs": crs, "width": 100, "height": 100,
            "bounds": (left, top - 100 * pixel, left + 100 * pixel, top)}


def test_a_landsat_scene_on_a_default_grid_is_told_with_the_anchor_that_aligns_it():
    """Landsat Collection 2 pixel corners: 15 m off multiples of 30 m."""
    grid = build_site_grid(SITE_BOUNDS, 30, RATIOS, bounds_crs=UTM, epsg=32633)
    scene = landsat_scene(499215.0, 5003415.0)
    warning, = alignment_warnings(pd.DataFrame([scene]), grid, "mysite")
    assert "site mysite" in warning and "landsat8_oli" in warning and "LC08_scene" in warning
    assert "`sites.mysite.anchor: [15.0, 15.0]`" in warning
    aligned = build_site_grid(SITE_BOUNDS, 30, RATIOS, bounds_crs=UTM, epsg=32633, anchor=(15.0, 15.0))
    assert grid_shift(UTM, scene["bounds"], 100, 100, aligned, 1) == (0.0, 0.0)
    assert alignment_warnings(pd.DataFrame([scene]), aligned, "mysite") == []


@pytest.mark.parametrize("scene", [
    landsat_scene(499200.0, 5003400.0),  # on the grid's edges
    landsat_scene(499215.0, 5003415.0, crs="EPSG:32634"),  # another zone: warped in any case
    landsat_scene(499215.0, 5003415.0, pixel=60.0),  # another pixel size: resampled in any case
])
def test_scenes_on_the_grid_or_resampled_anyway_are_not_told(scene):
    grid = build_site_grid(SITE_BOUNDS, 30, RATIOS, bounds_crs=UTM, epsg=32633)
    assert alignment_warnings(pd.DataFrame([scene]), grid, "mysite") == []
