"""Landsat Collection 2 Level-2 products: a product folder, its ``_MTL.json`` / ``_MTL.xml`` / ``_MTL.txt``, or the
product's ``.tar`` as USGS delivers it (read in place, :mod:`.archive`).

Layout and metadata as in USGS, Landsat 8-9 Collection 2 Level 2 Science Product Guide (LSDS-1619)
and the Landsat 4-7 guide (LSDS-1618): one GeoTIFF per band, ``<LANDSAT_PRODUCT_ID>_SR_B<n>.TIF``,
``<LANDSAT_PRODUCT_ID>_QA_PIXEL.TIF``; the MTL's group ``PRODUCT_CONTENTS`` names the files
(``FILE_NAME_BAND_<n>``, ``FILE_NAME_QUALITY_L1_PIXEL``) and ``LEVEL2_SURFACE_REFLECTANCE_PARAMETERS``
holds ``REFLECTANCE_MULT_BAND_<n>`` (2.75e-5) and ``REFLECTANCE_ADD_BAND_<n>`` (-0.2). The fill value
of the SR bands is 0 (LSDS-1619, table 5-1); the MTL does not repeat it. Band ``B<n>`` of the sensor
file is the product's band ``n``: its surface reflectance ``SR_B<n>``, or, where the product has no reflectance of
that band, its surface temperature ``ST_B<n>`` (``FILE_NAME_BAND_ST_B10``, and ``TEMPERATURE_MULT_BAND_ST_B10`` =
0.00341802 / ``TEMPERATURE_ADD_BAND_ST_B10`` = 149.0 in ``LEVEL2_SURFACE_TEMPERATURE_PARAMETERS``: kelvin).
The three MTL encodings carry the same groups and keys: JSON, XML, and the ODL text ``GROUP = ... / KEY = value /
END_GROUP = ...`` (LSDS-1619, appendix "Level-2 metadata file"). ``IMAGE_ATTRIBUTES`` gives ``SPACECRAFT_ID``
(``LANDSAT_9``) and ``DATE_ACQUIRED``, checked against the scene table's row.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ..errors import InputDataError
from ..sensors import Sensor, Storage, platform_name
from .archive import Tree, is_archive, open_tree
from .base import Product, missing_file
from .odl import parse_odl

FILL = 0.0
MTL_SUFFIXES = ("_MTL.json", "_MTL.xml", "_MTL.txt")  # the order in which a product's copies are preferred
PRODUCT_ID = re.compile(r"L[COTEM]0\d_L\d\w{2}_\d{6}_\d{8}_\d{8}_\d{2}_\w{2}")


def names_product(path: Path) -> bool:
    """An MTL file, a folder holding one, or a product ``.tar`` (named by its product ID)."""
    if path.is_dir():
        return any(any(path.glob(f"*{suffix}")) for suffix in MTL_SUFFIXES)
    return path.name.endswith(MTL_SUFFIXES) or (is_archive(path) and bool(PRODUCT_ID.match(path.name)))


def _mtl_file(path: Path) -> tuple[Tree, str]:
    """The product's files and its MTL (the JSON where the product has several encodings)."""
    if path.name.endswith(MTL_SUFFIXES):
        return open_tree(path.parent), path.name
    tree = open_tree(path)
    found = next((f for suffix in MTL_SUFFIXES if (f := tree.glob(f"*{suffix}"))), [])
    if not found:
        raise InputDataError(f"Landsat product {path} holds no _MTL.json, _MTL.xml or _MTL.txt: download the complete product")
    if len(found) > 1:
        raise InputDataError(
            f"Landsat product folder {path} holds {len(found)} MTL files ({', '.join(found)}): "
            "keep one product per folder, or name its _MTL.json in the scene table"
        )
    return tree, found[0]


def read_mtl(text: str, name: str, where: str) -> dict[str, dict[str, str]]:
    """The MTL ``name`` (its ``text``) as {group: {key: value}} from any of its encodings."""
    try:
        if name.endswith(".json"):
            groups = json.loads(text)["LANDSAT_METADATA_FILE"]
        elif name.endswith(".xml"):
            root = ET.fromstring(text)
            groups = {group.tag: {item.tag: item.text or "" for item in group} for group in root}
        else:
            groups = parse_odl(text)["LANDSAT_METADATA_FILE"]
    except (ValueError, KeyError, ET.ParseError) as err:
        raise InputDataError(
            f"{where} is not a Landsat Collection 2 MTL ({err!r}): download the product's MTL again"
        ) from err
    return {group: {k: str(v) for k, v in items.items()} for group, items in groups.items() if isinstance(items, dict)}


def _band(contents: dict, groups: dict, product_id: str, n: str, where: str) -> tuple[str, tuple[float, float]]:
    """The file of band ``n`` and its (scale, offset): surface reflectance, or else surface temperature."""
    if f"FILE_NAME_BAND_{n}" not in contents and f"FILE_NAME_BAND_ST_B{n}" in contents:
        group, keys = "LEVEL2_SURFACE_TEMPERATURE_PARAMETERS", (f"TEMPERATURE_MULT_BAND_ST_B{n}", f"TEMPERATURE_ADD_BAND_ST_B{n}")
        file = contents[f"FILE_NAME_BAND_ST_B{n}"]
    else:
        group, keys = "LEVEL2_SURFACE_REFLECTANCE_PARAMETERS", (f"REFLECTANCE_MULT_BAND_{n}", f"REFLECTANCE_ADD_BAND_{n}")
        file = contents.get(f"FILE_NAME_BAND_{n}", f"{product_id}_SR_B{n}.TIF")
    try:
        return file, (float(groups[group][keys[0]]), float(groups[group][keys[1]]))
    except KeyError as err:
        raise InputDataError(f"{where} has no {err.args[0]} in {group}: download the product's MTL again") from None


def read(path: str, sensor: Sensor) -> Product:
    """The band files of ``sensor``'s bands, their storage read from the MTL, QA_PIXEL, date and satellite."""
    tree, name = _mtl_file(Path(path))
    where = tree.gdal(name) if tree.archive else str(tree.root / name)
    groups = read_mtl(tree.read_text(name), name, where)
    contents = groups.get("PRODUCT_CONTENTS", {})
    level = contents.get("PROCESSING_LEVEL", "")
    if not level.startswith("L2"):
        raise InputDataError(
            f"{where}: PROCESSING_LEVEL is {level or 'missing'}, not a Level-2 (L2SP/L2SR) product: download the "
            "Collection 2 Level-2 surface reflectance product of this scene"
        )
    product_id = contents.get("LANDSAT_PRODUCT_ID", name.split("_MTL")[0])
    bands, storages = [], set()
    for band in sensor.bands:
        file, storage = _band(contents, groups, product_id, band.name.removeprefix("B"), where)
        if not tree.exists(file):
            raise missing_file(where, f"band {band.name} of sensor {sensor.name}", tree.gdal(file),
                               "download the complete product (every _SR_B*.TIF, or _ST_B*.TIF for surface "
                               "temperature, beside the MTL), or define a sensor with only the bands you have under "
                               "the config key `sensors:`")
        storages.add(storage)
        bands.append(tree.gdal(file))
    if len(storages) > 1:
        raise InputDataError(
            f"{where}: the bands of sensor {sensor.name} have different scale factors {sorted(storages)}: one scene "
            "takes one scale; define one sensor per scale under the config key `sensors:`"
        )
    qa = contents.get("FILE_NAME_QUALITY_L1_PIXEL", f"{product_id}_QA_PIXEL.TIF")
    if not tree.exists(qa):
        raise missing_file(where, "QA_PIXEL layer", tree.gdal(qa), "download the product's _QA_PIXEL.TIF with its bands")
    (scale, offset), = storages
    attributes = groups.get("IMAGE_ATTRIBUTES", {})
    acquired = attributes.get("DATE_ACQUIRED", "")
    return Product(
        path=path, family="landsat_c2", bands=tuple(bands), qa=tree.gdal(qa), qa_kind="landsat_qa_pixel",
        storage=Storage(dtype="uint16", scale=scale, offset=offset, nodata=FILL),
        series=(("collection", contents.get("COLLECTION_NUMBER", "")),),
        metadata_file="" if tree.archive else where,
        acquired=(acquired, acquired) if acquired else (), platform=platform_name(attributes.get("SPACECRAFT_ID", "")),
    )
