"""Ingest (SPEC 2.1): open each raw scene once, check it against its sensor and site, describe it.

Every check raises :class:`InputDataError` naming the file and the fix before anything is written.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd

import rasterio
from rasterio.errors import RasterioIOError
from rasterio.warp import transform_bounds

from .errors import ConfigError, InputDataError
from .grid import SiteGrid
from .sensors import Sensor, Storage


@dataclass(frozen=True)
class RawScene:
    """What the catalogue records about one raw file."""

    path: str
    crs: str
    bounds: tuple[float, float, float, float]
    width: int
    height: int
    count: int
    dtype: str
    nodata: float | None
    bbox_coverage: float  # share of the site inside the scene's bounding box (the inventory has the real nodata)


def open_raster(path: str | Path, what: str = "scene") -> rasterio.DatasetReader:
    """Open a raster or raise an error that names the file and says what to check."""
    if not Path(path).is_file():
        raise InputDataError(f"{what} file {path} does not exist: fix the path in the scene table")
    try:
        return rasterio.open(path)
    except RasterioIOError as err:
        raise InputDataError(
            f"{what} file {path} is not a readable raster ({err}): replace it with a valid GeoTIFF "
            "or another GDAL-readable format"
        ) from err


def describe_scene(path: str | Path, sensor: Sensor, grid: SiteGrid, site: str) -> RawScene:
    """Check a raw scene (CRS, band count, overlap with the site) and describe it."""
    with open_raster(path) as src:
        if src.crs is None:
            raise InputDataError(
                f"scene {path} has no CRS: assign one (e.g. `gdal_edit.py -a_srs EPSG:xxxx {path}`) "
                "or re-export it with georeferencing"
            )
        if src.count != len(sensor.bands):
            raise InputDataError(
                f"scene {path} has {src.count} bands but sensor {sensor.name} has "
                f"{len(sensor.bands)} ({', '.join(sensor.band_names)}): give a file with exactly "
                "these bands in this order, or define a matching sensor under the config key `sensors:`"
            )
        left, bottom, right, top = transform_bounds(src.crs, grid.crs, *src.bounds, densify_pts=21)
        g_left, g_bottom, g_right, g_top = grid.bounds
        overlap_w = max(0.0, min(right, g_right) - max(left, g_left))
        overlap_h = max(0.0, min(top, g_top) - max(bottom, g_bottom))
        coverage = overlap_w * overlap_h / ((g_right - g_left) * (g_top - g_bottom))
        if coverage == 0.0:
            raise InputDataError(
                f"scene {path} ({src.crs.to_string()}, bounds {tuple(round(b, 3) for b in src.bounds)}) "
                f"does not overlap site {site} (bounds {grid.bounds} in {grid.crs}): check the scene's "
                "`site` in the scene table or the site's `bounds` in the config"
            )
        return RawScene(
            path=str(path),
            crs=src.crs.to_string() if src.crs.is_epsg_code else src.crs.to_wkt(),
            bounds=tuple(src.bounds),
            width=src.width,
            height=src.height,
            count=src.count,
            dtype=src.dtypes[0],
            nodata=src.nodata,
            bbox_coverage=round(coverage, 6),
        )


def storage_for(sensor: Sensor, override: dict | None) -> Storage:
    """The sensor's default product storage with the site's ``storage.<sensor>`` keys applied."""
    if not override:
        return sensor.storage
    unknown = set(override) - {"scale", "offset", "nodata", "dtype"}
    if unknown:
        raise ConfigError(f"unknown storage keys {sorted(unknown)} for sensor {sensor.name}: use scale, offset, nodata")
    return replace(sensor.storage, **override)


def catalogue_site(rows: Iterable[Mapping[str, str]], sensors: Mapping[str, Sensor], grid: SiteGrid, site: str) -> pd.DataFrame:
    """Check every raw scene and QA file of a site; one catalogue row per scene.

    All files are checked before the caller writes anything, so one bad file stops the site
    before any of its outputs exist.
    """
    records = []
    for row in rows:
        scene = describe_scene(row["path"], sensors[row["sensor"]], grid, site)
        if row.get("qa"):
            with open_raster(row["qa"], what="QA") as qa:
                if qa.crs is None:
                    raise InputDataError(f"QA file {row['qa']} has no CRS: assign the CRS of its scene {row['path']}")
        records.append({"site": site, "sensor": row["sensor"], "date": row["date"], "qa": row.get("qa", ""), **asdict(scene)})
    return pd.DataFrame.from_records(records)
