"""Site grids: one UTM fine grid per site, and coarse grids whose pixel edges are fine pixel edges.

The UTM zone comes from the site's centre (pyproj's UTM query) unless the config fixes
an EPSG code; a coarse pixel is exactly ``ratio x ratio`` fine pixels, so there is no fractional
offset between the grids of one site.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Mapping, Sequence

from affine import Affine
from pyproj import CRS
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info
from pyproj.exceptions import CRSError
from rasterio.warp import transform_bounds

from .errors import ConfigError


def utm_epsg(lon: float, lat: float, key: str = "sites.<site>") -> int:
    """EPSG code of the WGS 84 UTM zone that contains the point (lon, lat); ``key``: the site's config key."""
    infos = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(lon, lat, lon, lat),
    )
    if not infos:
        raise ConfigError(f"{key}: no UTM zone contains the site's centre (lon={lon:g}, lat={lat:g}; UTM spans 80 S to "
                          f"84 N): set `{key}.epsg` to a projected CRS of the area (a polar stereographic one near a pole)")
    return int(infos[0].code)


def parse_crs(value: str | int, key: str, fix: str) -> CRS:
    """The CRS that config key ``key`` names (an EPSG integer, or any string PROJ understands); ``fix``: what to
    write there instead when PROJ does not know it."""
    try:
        return CRS.from_epsg(value) if isinstance(value, int) else CRS.from_user_input(value)
    except CRSError as err:
        raise ConfigError(f"`{key}`: {value!r} is not a CRS that PROJ knows ({err}): {fix}") from None


def check_degrees(bounds: Sequence[float], bounds_crs: str, key: str) -> None:
    """Bounds in a geographic CRS are longitudes and latitudes: a number out of their range (metres of a UTM zone,
    say) means the bounds are in another CRS than ``bounds_crs``, which would otherwise fail as a missing UTM zone
    or an infinite grid."""
    left, bottom, right, top = bounds
    for value, what, limit in ((left, "longitude", 180), (right, "longitude", 180), (bottom, "latitude", 90),
                               (top, "latitude", 90)):
        if abs(value) > limit:
            raise ConfigError(
                f"{key}.bounds looks projected ({value:.10g} is not a {what}) but `{key}.bounds_crs` is {bounds_crs}, "
                f"in degrees: set `{key}.bounds_crs` to the CRS the bounds are in, e.g. `{key}.bounds_crs: "
                "EPSG:326NN` for metres of WGS 84 / UTM zone NN north (EPSG:327NN south)")


def transformed_bounds(bounds: Sequence[float], src: str, dst: str, key: str) -> tuple[float, ...]:
    """``bounds`` transformed from ``src`` to ``dst``, or an error naming the site's keys when PROJ cannot."""
    out = transform_bounds(src, dst, *bounds, densify_pts=21)
    if not all(map(math.isfinite, out)):
        raise ConfigError(f"{key}.bounds {list(bounds)} in {src} cannot be transformed to {dst}: check that they are "
                          f"in `{key}.bounds_crs` and that `{key}.epsg` is a CRS of the site's area")
    return out


@dataclass(frozen=True)
class SiteGrid:
    """The fine grid of a site; sensor ``s`` lives on the same grid coarsened by ``ratios[s]``."""

    crs: str
    x_min: float
    y_max: float
    pixel_size: float
    width: int
    height: int
    ratios: Mapping[str, int]

    def ratio(self, sensor: str) -> int:
        return int(self.ratios[sensor])

    def shape(self, ratio: int = 1) -> tuple[int, int]:
        """(rows, cols) of the grid coarsened by ``ratio``."""
        return self.height // ratio, self.width // ratio

    def transform(self, ratio: int = 1) -> Affine:
        size = self.pixel_size * ratio
        return Affine(size, 0.0, self.x_min, 0.0, -size, self.y_max)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in the site CRS."""
        return (
            self.x_min,
            self.y_max - self.height * self.pixel_size,
            self.x_min + self.width * self.pixel_size,
            self.y_max,
        )

    def to_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(asdict(self) | {"ratios": dict(self.ratios)}, indent=2))

    @classmethod
    def from_json(cls, path: str | Path) -> "SiteGrid":
        return cls(**json.loads(Path(path).read_text()))


def build_site_grid(
    bounds: Sequence[float],
    pixel_size: float,
    ratios: Mapping[str, int],
    bounds_crs: str = "EPSG:4326",
    epsg: int | None = None,
    anchor: Sequence[float] = (0.0, 0.0),
    key: str = "sites.<site>",
) -> SiteGrid:
    """Grid covering ``bounds`` on the site's UTM zone, snapped outwards to whole coarse pixels.

    The edges are snapped to multiples of ``pixel_size * lcm(ratios)`` counted from ``anchor``,
    so every sensor's grid of the site shares its outer edges and every coarse pixel edge is a
    fine pixel edge. ``anchor`` lets the fine grid follow a product's own pixel grid (Landsat
    Collection 2 pixel corners lie on multiples of 30 m offset by 15 m). Every error names the site's config key
    ``key`` (``sites.<site>``).
    """
    left, bottom, right, top = bounds
    if not (left < right and bottom < top):
        raise ConfigError(f"{key}.bounds {list(bounds)} must be [left, bottom, right, top] with left < right and bottom < top")
    if parse_crs(bounds_crs, f"{key}.bounds_crs", "give the CRS of the bounds as a known EPSG code, such as "
                 "EPSG:4326 (longitude/latitude) or EPSG:32633 (WGS 84 / UTM zone 33N)").is_geographic:
        check_degrees(bounds, bounds_crs, key)
    if epsg is None:
        lon_lat = transformed_bounds(bounds, bounds_crs, "EPSG:4326", key)
        epsg = utm_epsg((lon_lat[0] + lon_lat[2]) / 2, (lon_lat[1] + lon_lat[3]) / 2, key)
    crs = parse_crs(epsg, f"{key}.epsg", "give the EPSG code of a projected CRS, such as 32633 (WGS 84 / UTM zone "
                    "33N), or null for the UTM zone of the site's centre")
    if not crs.is_projected:
        raise ConfigError(f"`{key}.epsg` {epsg} is not a projected CRS: give a UTM EPSG code (326xx / 327xx)")
    left, bottom, right, top = transformed_bounds(bounds, bounds_crs, f"EPSG:{epsg}", key)
    block = pixel_size * math.lcm(*(int(r) for r in ratios.values()))
    ax, ay = anchor
    x_min = ax + math.floor((left - ax) / block) * block
    x_max = ax + math.ceil((right - ax) / block) * block
    y_min = ay + math.floor((bottom - ay) / block) * block
    y_max = ay + math.ceil((top - ay) / block) * block
    return SiteGrid(
        crs=f"EPSG:{epsg}",
        x_min=float(x_min),
        y_max=float(y_max),
        pixel_size=float(pixel_size),
        width=round((x_max - x_min) / pixel_size),
        height=round((y_max - y_min) / pixel_size),
        ratios={name: int(r) for name, r in ratios.items()},
    )
