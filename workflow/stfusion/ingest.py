"""Ingest: open each raw scene, read it in full once, check it against its sensor, storage and site, describe it.

A scene is a plain multi-band raster or a product (:mod:`stfusion.products`) whose band files are read
through a VRT. Every check raises :class:`InputDataError` naming the file and the fix before anything
is written.
"""
from __future__ import annotations

from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import pandas as pd

import rasterio
from rasterio.errors import RasterioIOError
from rasterio.warp import transform_bounds

from .config import site_sensors
from .errors import ConfigError, InputDataError
from .grid import SiteGrid
from .products import Product, check_row, check_series, check_storage, modis_hdf, resolve_scene
from .products.vrt import stack_vrt
from .raw_values import check_fits_storage, is_remote, read_in_full, storage_location, summarise
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


@contextmanager
def gdal_names(names: Iterable[str]) -> Iterator[list[str]]:
    """What GDAL opens for each name: the name itself, or an HDF4 layer copied into memory for the block."""
    with ExitStack() as stack:
        yield [stack.enter_context(modis_hdf.layer_file(n)) if modis_hdf.is_layer(n) else n for n in names]


@contextmanager
def open_raster(path: str | Path, what: str = "scene") -> Iterator[rasterio.DatasetReader]:
    """Open a raster (a file, a GDAL ``/vsi...`` name or an HDF4 layer) or raise an error that names it and says
    what to check."""
    if not str(path).startswith("/vsi") and not modis_hdf.is_layer(str(path)) and not Path(path).is_file():
        raise InputDataError(f"{what} file {path} does not exist: fix the path in the scene table")
    with gdal_names([str(path)]) as (name,):
        try:
            src = rasterio.open(name)
        except RasterioIOError as err:
            raise InputDataError(
                f"{what} file {path} is not a readable raster ({err}): replace it with a valid GeoTIFF "
                "or another GDAL-readable format"
            ) from err
        with src:
            yield src


@contextmanager
def open_scene(product: Product, sensor: Sensor) -> Iterator[rasterio.DatasetReader]:
    """The scene's bands as one dataset: the raster itself, or its band files stacked by a VRT."""
    if not product.bands:
        with open_raster(product.path) as src:
            yield src
        return
    with gdal_names(product.bands) as bands, rasterio.open(stack_vrt(bands, sensor.band_names, product.path)) as src:
        yield src


def describe_scene(product: Product, sensor: Sensor, grid: SiteGrid, site: str) -> RawScene:
    """Check a raw scene (CRS, band count, overlap with the site) and describe it."""
    path = product.path
    with open_scene(product, sensor) as src:
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


def check_values(product: Product, sensor: Sensor, dtype: str, spec: Mapping, site: str) -> None:
    """Read every block of the scene's local files (a truncated download fails here) and check that the values
    fit the storage applied to them (:mod:`stfusion.raw_values`)."""
    storage = scene_storage(product, sensor, spec, site)
    if product.bands:
        what, fix = "band", f"download the product {product.path} again"
    else:
        what, fix = "scene", "download or export it again"
    files = [name for name in product.bands or (product.path,) if not is_remote(name)]
    with gdal_names(files) as names:
        chunks = (chunk for name in names for chunk in read_in_full(name, what, fix, storage.nodata))
        summary = summarise(chunks, dtype, storage, sensor.value_range)
    override = spec.get("storage", {}).get(sensor.name)
    stated = product.storage is not None and not override
    where = (f"the storage stated by {product.metadata_file or product.path}" if stated
             else storage_location(sensor.name, site, override))
    check_fits_storage(summary, product.path, sensor, storage, site, where)


def storage_for(sensor: Sensor, override: dict | None) -> Storage:
    """The sensor's default product storage with the site's ``storage.<sensor>`` keys applied."""
    if not override:
        return sensor.storage
    unknown = set(override) - {"scale", "offset", "nodata", "dtype"}
    if unknown:
        raise ConfigError(f"unknown storage keys {sorted(unknown)} for sensor {sensor.name}: use scale, offset, nodata")
    return replace(sensor.storage, **override)


def scene_storage(product: Product, sensor: Sensor, spec: Mapping, site: str) -> Storage:
    """The storage applied to one scene: ``sites.<site>.storage.<sensor>`` where the config gives it (a product
    stating another is refused), else the product's own (its fill, or the sensor's), else the sensor's. A product
    whose layout says that its storage depends on metadata it lacks (a Sentinel-2 folder without processing
    baseline) needs the config key."""
    override = spec.get("storage", {}).get(sensor.name)
    if override:
        storage = storage_for(sensor, override)
        check_storage(product, storage, sensor.name, site)
        return storage
    if product.family == "sentinel2_bands":
        raise InputDataError(
            f"Sentinel-2 folder {product.path} states no processing baseline (no MTD_MSIL2A.xml, no product name with "
            f"N<xxyy> in the folder's name or a tileinfo_metadata.json), and the offset depends on it: keep the "
            f"product's MTD_MSIL2A.xml beside the bands or name the folder after the product, or set the config key "
            f"`sites.{site}.storage.{sensor.name}` to {{offset: -0.1}} (baseline 04.00 and later) or {{offset: 0}} "
            "(earlier baselines, and COGs whose offset was applied)"
        )
    if product.storage is None:
        return sensor.storage
    return product.storage if product.storage.nodata is not None else replace(product.storage, nodata=sensor.storage.nodata)


def site_products(rows: Iterable[Mapping[str, str]], sensors: Mapping[str, Sensor], spec: Mapping, site: str) -> list[Product]:
    """Resolve every scene of a site (metadata only) and check each against its row (date, satellite) and the
    storage applied to it (:func:`scene_storage`), and the series metadata of each sensor."""
    rows = list(rows)
    products = [resolve_scene(row["path"], sensors[row["sensor"]]) for row in rows]
    for product, row in zip(products, rows):
        if row.get("date"):
            check_row(product, str(row["date"]), sensors[row["sensor"]], site)
        scene_storage(product, sensors[row["sensor"]], spec, site)
    for name in sensors:
        check_series([p for p, row in zip(products, rows) if row["sensor"] == name], name, site)
    return products


def table_products(table: pd.DataFrame, config: Mapping, generated_dir: str | None = None) -> dict[tuple[str, str, str], Product]:
    """(site, sensor, date) -> product of every scene in the table, from metadata when the DAG is built: a
    product missing a band or stating another storage stops the run there, before any job. Scenes under
    ``generated_dir`` (the demo's) do not exist yet; they are the rasters they name."""
    products = {}
    for site, rows in table.groupby("site"):
        rows = [r for r in rows.to_dict("records") if not (generated_dir and Path(r["path"]).is_relative_to(generated_dir))]
        for row, product in zip(rows, site_products(rows, site_sensors(config, site), config["sites"][site], site)):
            products[site, row["sensor"], row["date"]] = product
    return products


def scene_qa(row: Mapping[str, str], product: Product, sensor: Sensor, spec: Mapping) -> tuple[str, str]:
    """The QA layer of a scene and its encoding: the table's ``qa`` file (encoded as the sensor says) or else
    the product's own QA layer; ``sites.<site>.qa.<sensor>`` overrides the encoding of either."""
    path, kind = (row["qa"], sensor.qa_kind) if row.get("qa") else (product.qa, product.qa_kind or sensor.qa_kind)
    return path, spec.get("qa", {}).get(sensor.name, kind)


def catalogue_site(rows: Iterable[Mapping[str, str]], sensors: Mapping[str, Sensor], grid: SiteGrid, site: str,
                   spec: Mapping) -> pd.DataFrame:
    """Check every raw scene and QA file of a site, each read in full; one catalogue row per scene.

    All files are checked before the caller writes anything, so one bad file stops the site
    before any of its outputs exist.
    """
    rows = list(rows)
    records = []
    for row, product in zip(rows, site_products(rows, sensors, spec, site)):
        sensor = sensors[row["sensor"]]
        scene = describe_scene(product, sensor, grid, site)
        check_values(product, sensor, scene.dtype, spec, site)
        qa_path, qa_kind = scene_qa(row, product, sensor, spec)
        if qa_path:
            with open_raster(qa_path, what="QA") as qa:
                if qa.crs is None:
                    raise InputDataError(f"QA file {qa_path} has no CRS: assign the CRS of its scene {row['path']}")
            if not is_remote(qa_path):
                for _ in read_in_full(qa_path, "QA", "download or export it again"):
                    pass
        storage = scene_storage(product, sensor, spec, site)
        records.append({"site": site, "sensor": row["sensor"], "date": row["date"], "qa": qa_path,
                        "qa_kind": qa_kind if qa_path else "none", "product": product.family, **asdict(scene),
                        "scale": storage.scale, "offset": storage.offset})
    return pd.DataFrame.from_records(records)
