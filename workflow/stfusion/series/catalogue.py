"""A site's fused series as a STAC Collection that STAC clients (pystac, odc-stac, stackstac) load.

One Item per prediction date, with one asset per method that predicted it (key: the method) and, where it exists,
its quality COG (key: ``<method>_quality``) and its per-pixel uncertainty (key: ``<method>_uncertainty``, roles
``metadata`` and ``uncertainty``: the half-width of the 90 % interval per band, reflectance units; issue 26). Each
asset carries what its COG states, as the STAC extensions name it:
``proj`` v2.0 (code or WKT2, shape, transform, bbox), ``raster`` v1.1 (per band: nodata, data type, resolution,
unit) and, for the reflectance, ``eo`` v1.1 (per band: name ``<method>_<band>``, unique in the item, so that
``odc.stac.load(items, bands=["starfm_red"])`` finds it; common name, centre wavelength and FWHM in micrometres,
from the fine sensor's definition). A quality asset's bands are ``<method>_quality.<i>`` to odc-stac. Catalogue and item links are relative (a self-contained
catalogue), and so are the asset hrefs: the site's results folder can be moved or uploaded whole. The catalogue
is written into a folder beside ``stac/`` that replaces it at the end (:func:`stfusion.io.atomic_directory`).
STAC 1.1 (https://stacspec.org); extensions at https://github.com/stac-extensions.
"""
from __future__ import annotations

import datetime as dt
import functools
import math
import os
from pathlib import Path
from typing import Mapping

import pystac
import rasterio
import yaml
from pystac.extensions.eo import Band, EOExtension
from pystac.extensions.projection import ProjectionExtension
from pystac.extensions.raster import DataType, RasterBand, RasterExtension
from rasterio.crs import CRS
from rasterio.warp import transform_bounds, transform_geom

from ..bands import BandPair
from ..grid import SiteGrid
from ..io import atomic_directory
from ..products.stac_assets import ALIASES
from ..sensors import Sensor

# The eo extension's common band names (v1.1.0, json-schema `common_name` enum).
COMMON_NAMES = {"coastal", "blue", "green", "red", "rededge", "yellow", "pan", "nir", "nir08", "nir09", "cirrus",
                "swir16", "swir22", "lwir", "lwir11", "lwir12"}
WGS84 = "EPSG:4326"


@functools.lru_cache(maxsize=1)
def _aliases() -> dict:
    return yaml.safe_load(ALIASES.read_text())["bands"]


def common_name(sensor: Sensor, band: str) -> str | None:
    """The eo common name of a sensor's band: the first of its STAC alias words (``data/stac/band_aliases.yaml``)
    that is one, else its label if that is one (Landsat 8 B6: ``swir16``; a sensor without aliases: its label)."""
    label = next(b.label for b in sensor.bands if b.name == band)
    words = [*_aliases().get(sensor.name, {}).get(band, []), label]
    return next((w for w in words if w in COMMON_NAMES), None)


def spectral_bands(pairs: list[BandPair], fine: Sensor) -> dict[str, Band]:
    """eo bands of the predictions by band name: the matched bands (``matched/bands.json``) of the fine sensor."""
    by_code = {b.name: b for b in fine.bands}
    return {p.name: Band.create(name=p.name, common_name=common_name(fine, p.fine),
                                description=f"{fine.name} {p.fine}",
                                center_wavelength=round(by_code[p.fine].centre_nm / 1000, 4),
                                full_width_half_max=round(by_code[p.fine].fwhm_nm / 1000, 4))
            for p in pairs}


def footprint(crs: CRS, bounds: tuple[float, float, float, float]) -> tuple[dict, list[float]]:
    """GeoJSON polygon and bbox in WGS 84 of a rectangle in ``crs`` (its edges densified: a UTM square is curved)."""
    left, bottom, right, top = bounds
    ring = [[left, bottom], [right, bottom], [right, top], [left, top], [left, bottom]]
    geometry = transform_geom(crs, WGS84, {"type": "Polygon", "coordinates": [ring]}, antimeridian_cutting=True,
                              precision=7)
    return geometry, [round(v, 7) for v in transform_bounds(crs, WGS84, *bounds, densify_pts=21)]


def add_asset(item: pystac.Item, key: str, path: str, title: str, roles: list[str], unit: str | None,
              eo_bands: Mapping[str, Band] | None, description: str | None = None) -> None:
    """Add a COG to an item as asset ``key`` with its proj, raster and (given ``eo_bands``) eo fields."""
    with rasterio.open(path) as src:
        crs, transform, shape, bounds = src.crs, src.transform, [src.height, src.width], list(src.bounds)
        names, dtypes, nodata = list(src.descriptions), src.dtypes, src.nodata
    asset = pystac.Asset(href=os.path.abspath(path), media_type=pystac.MediaType.COG, title=title, roles=roles,
                         description=description)
    item.add_asset(key, asset)
    epsg = crs.to_epsg()
    ProjectionExtension.ext(asset, add_if_missing=True).apply(
        code=f"EPSG:{epsg}" if epsg else None, wkt2=None if epsg else crs.to_wkt(), shape=shape,
        transform=list(transform)[:6], bbox=bounds)
    RasterExtension.ext(asset, add_if_missing=True).bands = [
        RasterBand.create(nodata=_nodata(nodata), data_type=DataType(dtype), spatial_resolution=abs(transform.a),
                          unit=unit) for dtype in dtypes]
    if eo_bands is not None:  # named `<asset>_<band>`: unique in the item, so that a client loads one by its name
        EOExtension.ext(asset, add_if_missing=True).bands = [Band({**eo_bands[name].to_dict(), "name": f"{key}_{name}"})
                                                             for name in names]


def _nodata(value: float | None) -> float | str | None:
    """The raster extension's nodata: a number, or "nan" / "inf" / "-inf"."""
    if value is None or math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


UNCERTAINTY_DESCRIPTION = ("Per band, the half-width w of the 90 % interval prediction +- w, calibrated on held-out "
                           "dates (stfusion.uncertainty): in reflectance units; about 9 in 10 pixels have "
                           "|prediction - truth| <= w")


def date_items(site: str, predictions: Mapping[str, Mapping[str, str]], qualities: Mapping[str, Mapping[str, str]],
               eo_bands: Mapping[str, Band], uncertainties: Mapping[str, Mapping[str, str]] = {}) -> list[pystac.Item]:
    """One Item per date of ``{method: {date: COG}}``, with the quality and uncertainty COGs of
    ``{method: {date: COG}}``."""
    dates = sorted({d for by_date in predictions.values() for d in by_date})
    items = []
    for date in dates:
        methods = [m for m in sorted(predictions) if date in predictions[m]]
        with rasterio.open(predictions[methods[0]][date]) as src:  # every COG of a site is on the site's grid
            geometry, bbox = footprint(src.crs, tuple(src.bounds))
        moment = dt.datetime.combine(dt.date.fromisoformat(date), dt.time(), dt.timezone.utc)
        item = pystac.Item(f"{site}-{date}", geometry, bbox, moment, {"title": f"{site} fused on {date}"})
        for method in methods:
            add_asset(item, method, predictions[method][date], f"{method} prediction", ["data"], "1", eo_bands)
            if date in qualities.get(method, {}):
                add_asset(item, f"{method}_quality", qualities[method][date], f"{method} quality", ["metadata"],
                          None, None)
            if date in uncertainties.get(method, {}):
                add_asset(item, f"{method}_uncertainty", uncertainties[method][date], f"{method} uncertainty (90 %)",
                          ["metadata", "uncertainty"], "1", None, UNCERTAINTY_DESCRIPTION)
        items.append(item)
    return items


def write_catalogue(folder: str | Path, site: str, grid: SiteGrid, predictions: Mapping[str, Mapping[str, str]],
                    qualities: Mapping[str, Mapping[str, str]], eo_bands: Mapping[str, Band],
                    uncertainties: Mapping[str, Mapping[str, str]] = {}) -> None:
    """Write the site's collection into ``folder`` (``collection.json`` and ``<item>/<item>.json``), replacing it
    whole; its spatial extent is the site's grid, its temporal extent the first to the last prediction date."""
    items = date_items(site, predictions, qualities, eo_bands, uncertainties)
    bbox = footprint(CRS.from_user_input(grid.crs), grid.bounds)[1]
    times = [items[0].datetime, items[-1].datetime] if items else [None, None]
    collection = pystac.Collection(
        id=f"stfusion-{site}", title=f"stfusion: fused series of site {site}",
        description=f"Predictions of site {site} by the methods {', '.join(sorted(predictions))} (stfusion), one "
                    "item per date, one asset per method (and its quality and uncertainty layers where it has them).",
        extent=pystac.Extent(pystac.SpatialExtent([bbox]), pystac.TemporalExtent([times])), license="other")
    collection.add_items(items)
    with atomic_directory(folder) as tmp:
        # the temporary folder is a sibling of `folder`: relative hrefs made here hold there. The trailing slash:
        # pystac takes a last part with a suffix (`.part`) for a file name
        collection.normalize_hrefs(f"{os.path.abspath(tmp)}/")
        collection.make_all_asset_hrefs_relative()
        collection.save(catalog_type=pystac.CatalogType.SELF_CONTAINED)
