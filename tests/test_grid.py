"""Site grids: UTM zone choice, snapping, and coarse edges on fine edges (SPEC 2.2)."""
import math
import re

import pytest

from stfusion.errors import ConfigError
from stfusion.grid import SiteGrid, build_site_grid, utm_epsg


@pytest.mark.parametrize(
    "lon, lat, epsg",
    [(14.36, 46.24, 32633), (146.2, -35.0, 32755), (117.5, 36.5, 32650), (-0.1, 51.5, 32630), (3.01, 0.1, 32631)],
)
def test_utm_zone_from_centre(lon, lat, epsg):
    assert utm_epsg(lon, lat) == epsg


def test_grid_is_snapped_to_whole_coarse_pixels():
    grid = build_site_grid([117.50, 36.50, 117.58, 36.57], 30.0, {"fine": 1, "coarse": 16})
    assert grid.crs == "EPSG:32650"
    block = 30.0 * 16
    assert grid.x_min % block == 0 and grid.y_max % block == 0
    assert grid.width % 16 == 0 and grid.height % 16 == 0
    coarse = grid.transform(16)
    assert (coarse.c, coarse.f) == (grid.transform().c, grid.transform().f)
    assert coarse.a == 16 * grid.transform().a
    assert grid.shape(16) == (grid.height // 16, grid.width // 16)


def test_grid_covers_the_requested_bounds_and_no_more_than_one_block():
    bounds = [544000.0, 4039000.0, 551000.0, 4047000.0]
    grid = build_site_grid(bounds, 30.0, {"a": 1, "b": 2, "c": 3}, bounds_crs="EPSG:32650")
    left, bottom, right, top = grid.bounds
    block = 30.0 * math.lcm(1, 2, 3)
    assert left <= bounds[0] < left + block and right - block < bounds[2] <= right
    assert bottom <= bounds[1] < bottom + block and top - block < bounds[3] <= top


def test_anchor_shifts_the_pixel_lattice():
    grid = build_site_grid([544000.0, 4039000.0, 545000.0, 4040000.0], 30.0, {"a": 1}, "EPSG:32650", anchor=(15.0, 15.0))
    assert (grid.x_min - 15.0) % 30 == 0 and (grid.y_max - 15.0) % 30 == 0


def test_fixed_epsg_and_json_round_trip(tmp_path):
    grid = build_site_grid([14.35, 46.23, 14.37, 46.25], 30.0, {"l": 1}, epsg=32633)
    grid.to_json(tmp_path / "grid.json")
    assert SiteGrid.from_json(tmp_path / "grid.json") == grid


def test_geographic_epsg_is_refused():
    with pytest.raises(ConfigError, match="not a projected CRS"):
        build_site_grid([14.35, 46.23, 14.37, 46.25], 30.0, {"l": 1}, epsg=4326)


def test_inverted_bounds_are_refused():
    with pytest.raises(ConfigError, match="left < right"):
        build_site_grid([14.37, 46.23, 14.35, 46.25], 30.0, {"l": 1})


UTM_BOUNDS = [548160.0, 4039680.0, 552000.0, 4047360.0]  # metres of UTM zone 50N


@pytest.mark.parametrize("keys, message", [
    ({}, "sites.x.bounds looks projected (548160 is not a longitude) but `sites.x.bounds_crs` is EPSG:4326"),
    ({"epsg": 32650}, "set `sites.x.bounds_crs` to the CRS the bounds are in, e.g. `sites.x.bounds_crs: EPSG:326NN`"),
    ({"bounds_crs": "EPSG:99999"}, "`sites.x.bounds_crs`: 'EPSG:99999' is not a CRS that PROJ knows"),
    ({"bounds_crs": "EPSG:32650", "epsg": 99999}, "`sites.x.epsg`: 99999 is not a CRS that PROJ knows"),
    ({"bounds": [5e7, 5e7, 6e7, 6e7], "bounds_crs": "EPSG:32650"},
     "sites.x.bounds [50000000.0, 50000000.0, 60000000.0, 60000000.0] in EPSG:32650 cannot be transformed to EPSG:4326"),
], ids=["metres-as-degrees", "metres-as-degrees-with-epsg", "unknown-bounds-crs", "unknown-epsg", "off-the-earth"])
def test_bounds_and_crs_errors_name_the_site_key_and_the_fix(keys, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        build_site_grid(**{"bounds": UTM_BOUNDS, **keys}, pixel_size=30.0, ratios={"a": 1, "b": 16}, key="sites.x")


def test_a_site_beyond_the_utm_zones_names_its_epsg_key():
    with pytest.raises(ConfigError, match=re.escape("set `sites.x.epsg` to a projected CRS")):
        build_site_grid([10.0, 85.0, 11.0, 86.0], 30.0, {"a": 1}, key="sites.x")
