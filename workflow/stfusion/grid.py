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
from rasterio.warp import transform_bounds

from .errors import ConfigError


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 UTM zone that contains the point (lon, lat)."""
    infos = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(lon, lat, lon, lat),
    )
    if not infos:
        raise ConfigError(f"no UTM zone found for lon={lon}, lat={lat}: set the site's `epsg` key")
    return int(infos[0].code)


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
) -> SiteGrid:
    """Grid covering ``bounds`` on the site's UTM zone, snapped outwards to whole coarse pixels.

    The edges are snapped to multiples of ``pixel_size * lcm(ratios)`` counted from ``anchor``,
    so every sensor's grid of the site shares its outer edges and every coarse pixel edge is a
    fine pixel edge. ``anchor`` lets the fine grid follow a product's own pixel grid (Landsat
    Collection 2 pixel corners lie on multiples of 30 m offset by 15 m).
    """
    left, bottom, right, top = bounds
    if not (left < right and bottom < top):
        raise ConfigError(f"site bounds {list(bounds)} must be [left, bottom, right, top] with left < right and bottom < top")
    if epsg is None:
        lon_lat = transform_bounds(bounds_crs, "EPSG:4326", *bounds, densify_pts=21)
        epsg = utm_epsg((lon_lat[0] + lon_lat[2]) / 2, (lon_lat[1] + lon_lat[3]) / 2)
    crs = CRS.from_epsg(epsg)
    if not crs.is_projected:
        raise ConfigError(f"site epsg {epsg} is not a projected CRS: give a UTM EPSG code (326xx / 327xx)")
    left, bottom, right, top = transform_bounds(bounds_crs, crs, *bounds, densify_pts=21)
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
