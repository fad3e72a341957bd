"""Products as distributed: what a scene-table ``path`` names, resolved to its band files.

A row's ``path`` is either one multi-band raster in the sensor's band order, or a product as it is
downloaded:

- a Landsat Collection 2 Level-2 product folder or its ``_MTL.json`` / ``_MTL.xml`` (:mod:`.landsat_c2`);
- a Sentinel-2 L2A ``.SAFE`` folder, its ``MTD_MSIL2A.xml``, or a folder of per-band files (:mod:`.sentinel2`);
- a MODIS per-band GeoTIFF export (AppEEARS names; a ``.hdf`` file is refused with the conversion) (:mod:`.modis`);
- a STAC Item, or one item of an ItemCollection as ``items.json#<item id>`` (:mod:`.stac`).

:func:`resolve_scene` reads only metadata (no raster is opened, nothing remote is fetched), so the DAG
can call it for every row when it is built: a product missing a band stops the run before any job.
The bands are stacked at run time by a GDAL VRT (:mod:`.vrt`), never copied.
"""
from __future__ import annotations

from pathlib import Path
from types import ModuleType

from ..sensors import Sensor
from . import landsat_c2, modis, sentinel2, stac
from .base import Product, check_series, check_storage

__all__ = ["Product", "check_series", "check_storage", "product_family", "resolve_scene"]

FAMILIES = (modis, landsat_c2, sentinel2, stac)  # asked in this order: a Landsat MTL.json is not a STAC item


def product_family(path: Path) -> ModuleType | None:
    """The module of the product family that names ``path`` (a file or folder), or None for a plain raster."""
    return next((family for family in FAMILIES if family.names_product(path)), None)


def resolve_scene(path: str, sensor: Sensor) -> Product:
    """The product that ``path`` names, for ``sensor``; a plain raster is returned as it is."""
    family = product_family(Path(path.partition("#")[0]))
    return family.read(path, sensor) if family else Product(path=path, family="raster")
