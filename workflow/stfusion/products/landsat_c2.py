"""Landsat Collection 2 Level-2 products: a product folder, or its ``_MTL.json`` / ``_MTL.xml``.

Layout and metadata as in USGS, Landsat 8-9 Collection 2 Level 2 Science Product Guide (LSDS-1619)
and the Landsat 4-7 guide (LSDS-1618): one GeoTIFF per band, ``<LANDSAT_PRODUCT_ID>_SR_B<n>.TIF``,
``<LANDSAT_PRODUCT_ID>_QA_PIXEL.TIF``; the MTL's group ``PRODUCT_CONTENTS`` names the files
(``FILE_NAME_BAND_<n>``, ``FILE_NAME_QUALITY_L1_PIXEL``) and ``LEVEL2_SURFACE_REFLECTANCE_PARAMETERS``
holds ``REFLECTANCE_MULT_BAND_<n>`` (2.75e-5) and ``REFLECTANCE_ADD_BAND_<n>`` (-0.2). The fill value
of the SR bands is 0 (LSDS-1619, table 5-1); the MTL does not repeat it. Band ``B<n>`` of the sensor
file is the product's band ``n``.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from ..errors import InputDataError
from ..sensors import Sensor, Storage
from .base import Product, missing_file

FILL = 0.0
MTL_SUFFIXES = ("_MTL.json", "_MTL.xml")


def names_product(path: Path) -> bool:
    """An MTL file, or a folder holding one."""
    if path.is_dir():
        return any(path.glob("*_MTL.json")) or any(path.glob("*_MTL.xml"))
    return path.name.endswith(MTL_SUFFIXES)


def _mtl_file(path: Path) -> Path:
    if not path.is_dir():
        return path
    found = sorted(path.glob("*_MTL.json")) or sorted(path.glob("*_MTL.xml"))
    if len(found) > 1:
        raise InputDataError(
            f"Landsat product folder {path} holds {len(found)} MTL files ({', '.join(f.name for f in found)}): "
            "keep one product per folder, or name its _MTL.json in the scene table"
        )
    return found[0]


def read_mtl(path: Path) -> dict[str, dict[str, str]]:
    """The MTL as {group: {key: value}} from either encoding (JSON or XML, same groups and keys)."""
    if not path.is_file():
        raise InputDataError(f"Landsat metadata file {path} does not exist: fix the path in the scene table")
    try:
        if path.suffix == ".json":
            groups = json.loads(path.read_text())["LANDSAT_METADATA_FILE"]
        else:
            root = ET.parse(path).getroot()
            groups = {group.tag: {item.tag: item.text or "" for item in group} for group in root}
    except (ValueError, KeyError, ET.ParseError) as err:
        raise InputDataError(
            f"{path} is not a Landsat Collection 2 MTL ({err!r}): download the product's _MTL.json again"
        ) from err
    return {group: {k: str(v) for k, v in items.items()} for group, items in groups.items() if isinstance(items, dict)}


def read(path: str, sensor: Sensor) -> Product:
    """The band files of ``sensor``'s bands, their storage read from the MTL, and QA_PIXEL."""
    mtl = _mtl_file(Path(path))
    groups = read_mtl(mtl)
    contents = groups.get("PRODUCT_CONTENTS", {})
    level = contents.get("PROCESSING_LEVEL", "")
    if not level.startswith("L2"):
        raise InputDataError(
            f"{mtl}: PROCESSING_LEVEL is {level or 'missing'}, not a Level-2 (L2SP/L2SR) product: download the "
            "Collection 2 Level-2 surface reflectance product of this scene"
        )
    product_id = contents.get("LANDSAT_PRODUCT_ID", mtl.name.split("_MTL")[0])
    parameters = groups.get("LEVEL2_SURFACE_REFLECTANCE_PARAMETERS", {})
    bands, storages = [], set()
    for band in sensor.bands:
        n = band.name.removeprefix("B")
        file = mtl.parent / contents.get(f"FILE_NAME_BAND_{n}", f"{product_id}_SR_B{n}.TIF")
        if not file.is_file():
            raise missing_file(mtl, f"surface reflectance band {band.name} of sensor {sensor.name}", file,
                               "download the complete product (every _SR_B*.TIF beside the MTL), or define a "
                               "sensor with only the bands you have under the config key `sensors:`")
        try:
            storages.add((float(parameters[f"REFLECTANCE_MULT_BAND_{n}"]), float(parameters[f"REFLECTANCE_ADD_BAND_{n}"])))
        except KeyError as err:
            raise InputDataError(
                f"{mtl} has no {err.args[0]} in LEVEL2_SURFACE_REFLECTANCE_PARAMETERS: download the product's MTL again"
            ) from None
        bands.append(str(file))
    if len(storages) > 1:
        raise InputDataError(
            f"{mtl}: the bands of sensor {sensor.name} have different scale factors {sorted(storages)}: one scene "
            "takes one scale; define one sensor per scale under the config key `sensors:`"
        )
    qa = mtl.parent / contents.get("FILE_NAME_QUALITY_L1_PIXEL", f"{product_id}_QA_PIXEL.TIF")
    if not qa.is_file():
        raise missing_file(mtl, "QA_PIXEL layer", qa, "download the product's _QA_PIXEL.TIF with its bands")
    (scale, offset), = storages
    return Product(
        path=path, family="landsat_c2", bands=tuple(bands), qa=str(qa), qa_kind="landsat_qa_pixel",
        storage=Storage(dtype="uint16", scale=scale, offset=offset, nodata=FILL),
        series=(("collection", contents.get("COLLECTION_NUMBER", "")),), metadata_file=str(mtl),
    )
