"""Products as distributed: what a scene-table ``path`` names, resolved to its band files.

A row's ``path`` is either one multi-band raster in the sensor's band order, or a product as it is
downloaded:

- a Landsat Collection 2 Level-2 product folder, its ``_MTL.json`` / ``_MTL.xml`` / ``_MTL.txt``, or its ``.tar``
  (:mod:`.landsat_c2`);
- a Sentinel-2 L2A ``.SAFE`` folder or ``.SAFE.zip``, its ``MTD_MSIL2A.xml``, or a folder of per-band files (ESA's
  names, or Earth Search's ``B04.tif``) (:mod:`.sentinel2`);
- an HLS v2.0 granule's folder of per-band COGs, or one of them (:mod:`.hls`);
- a MODIS ``.hdf`` granule (:mod:`.modis_hdf`) or per-band GeoTIFF export (AppEEARS names) (:mod:`.modis`);
- a STAC Item, or one item of an ItemCollection as ``items.json#<item id>`` (:mod:`.stac`).

:func:`resolve_scene` reads only metadata (no raster is opened, nothing remote is fetched), so the DAG
can call it for every row when it is built: a product missing a band, a folder or archive of no known layout,
or a product of another date or satellite than its row's stops the run before any job.
The bands are stacked at run time by a GDAL VRT (:mod:`.vrt`), never copied.
"""
from __future__ import annotations

from pathlib import Path
from types import ModuleType

from ..sensors import Sensor
from ..errors import InputDataError
from . import hls, landsat_c2, modis, modis_hdf, sentinel2, stac
from .archive import is_archive
from .base import Product, check_row, check_series, check_storage

__all__ = ["Product", "check_row", "check_series", "check_storage", "product_family", "resolve_scene"]

FAMILIES = (modis_hdf, modis, landsat_c2, hls, sentinel2, stac)  # asked in this order: a Landsat MTL.json is not a STAC item
LAYOUTS = ("a Landsat C2 L2 folder, MTL or .tar; a Sentinel-2 L2A .SAFE folder or .SAFE.zip, or a folder of its band "
           "files; an HLS v2.0 folder; a MODIS .hdf or AppEEARS export; a STAC item; or one multi-band raster")


def product_family(path: Path) -> ModuleType | None:
    """The module of the product family that names ``path`` (a file or folder), or None for a plain raster."""
    return next((family for family in FAMILIES if family.names_product(path)), None)


def resolve_scene(path: str, sensor: Sensor) -> Product:
    """The product that ``path`` names, for ``sensor``; a plain raster is returned as it is; a folder or an archive
    of no known layout is refused."""
    local = Path(path.partition("#")[0])
    family = product_family(local)
    if family:
        return family.read(path, sensor)
    if local.is_dir() or is_archive(local):
        raise InputDataError(
            f"{local} is {'a folder' if local.is_dir() else 'an archive'} of no product layout the pipeline reads "
            f"(it reads {LAYOUTS}): name the product itself in the scene table, "
            f"{'unpack the archive and name the product folder' if is_archive(local) else 'or stack the bands into one raster in the order of sensor ' + sensor.name}"
        )
    return Product(path=path, family="raster")
