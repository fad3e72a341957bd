"""Sentinel-2 Level-2A products: a ``.SAFE`` folder, its ``MTD_MSIL2A.xml``, or a folder of per-band files.

Layout as in ESA's Sentinel-2 Products Specification Document (S2-PDGS-TAS-DI-PSD, Level-2A):
``<name>.SAFE/MTD_MSIL2A.xml`` and ``GRANULE/<granule>/IMG_DATA/R10m|R20m|R60m/<tile>_<time>_<band>_<res>m.jp2``
(B02 ... B12, B8A, SCL). Each band is taken at the finest resolution the product has (B02 at 10 m,
B05 at 20 m, B01 at 60 m; SCL at 20 m). A folder of per-band files (``..._B02_10m.jp2``, ``..._B02.tif``)
without the XML is read the same way; its storage is then the sensor's (or the site's) as configured.

Storage: ``reflectance = (DN + BOA_ADD_OFFSET) / BOA_QUANTIFICATION_VALUE``; from processing baseline
04.00 (25 January 2022) the XML carries ``BOA_ADD_OFFSET_VALUES_LIST`` with -1000 for every band, before
it no offset (ESA, "Sentinel-2: new processing baseline 04.00", COPE-GSEG-EOPG-TN-21-0024 and the L2A
product format); fill is the ``NODATA`` special value (0).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ..errors import InputDataError
from ..sensors import Sensor, Storage
from .base import Product, missing_file

METADATA = "MTD_MSIL2A.xml"
BAND_IDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12")  # band_id 0..12
FIRST_OFFSET_BASELINE = (4, 0)
IMAGE = re.compile(r".*_(?P<band>B\d[\dA]|SCL)(_(?P<res>\d+)m)?\.(jp2|tif|tiff)$", re.IGNORECASE)


def names_product(path: Path) -> bool:
    """``MTD_MSIL2A.xml``, a ``.SAFE`` folder, or a folder with per-band files."""
    if path.name == METADATA or path.suffix == ".SAFE":
        return True
    return path.is_dir() and ((path / METADATA).is_file() or any(IMAGE.match(p.name) for p in path.iterdir()))


def band_code(name: str) -> str:
    """The product's band code of a sensor band name: B2 -> B02, B8A -> B8A."""
    match = re.fullmatch(r"B0?(\d+)(A?)", name.upper())
    if not match:
        return name.upper()
    return f"B{int(match[1])}A" if match[2] else f"B{int(match[1]):02d}"


def _images(folder: Path) -> dict[str, list[tuple[int, Path]]]:
    """{band code: [(resolution m, file)]} of the image files of a SAFE folder or a flat folder."""
    files = list(folder.glob("GRANULE/*/IMG_DATA/R*m/*")) or list(folder.iterdir())
    found: dict[str, list[tuple[int, Path]]] = {}
    for file in files:
        match = IMAGE.match(file.name)
        if match:
            found.setdefault(match["band"].upper(), []).append((int(match["res"] or 0), file))
    return found


def _finest(images: dict, code: str, folder: Path, what: str, fix: str) -> str:
    if code not in images:
        raise missing_file(folder, what, folder / f"*_{code}_*m.jp2", fix)
    return str(min(images[code])[1])


def read_storage(xml: Path, codes: list[str]) -> tuple[Storage, str]:
    """Scale, offset and fill of the bands ``codes``, and the processing baseline, from MTD_MSIL2A.xml."""
    root = ET.parse(xml).getroot()
    baseline = root.findtext(".//PROCESSING_BASELINE")
    quantification = root.findtext(".//BOA_QUANTIFICATION_VALUE")
    if baseline is None or quantification is None:
        raise InputDataError(
            f"{xml} has no PROCESSING_BASELINE or BOA_QUANTIFICATION_VALUE: it is not a Level-2A product's "
            "metadata; download the product again"
        )
    offsets = {BAND_IDS[int(e.get("band_id"))]: float(e.text) for e in root.iter("BOA_ADD_OFFSET")}
    nodata = next((float(v.findtext("SPECIAL_VALUE_INDEX")) for v in root.iter("Special_Values")
                   if v.findtext("SPECIAL_VALUE_TEXT") == "NODATA"), 0.0)
    major_minor = tuple(int(p) for p in baseline.split("."))
    if (major_minor >= FIRST_OFFSET_BASELINE) != bool(offsets):
        raise InputDataError(
            f"{xml}: processing baseline {baseline} {'without' if not offsets else 'with'} BOA_ADD_OFFSET values, "
            f"but baselines from 04.00 on have them and earlier ones do not: the metadata is inconsistent; "
            "download the product again"
        )
    used = {offsets.get(code, 0.0) for code in codes}
    if len(used) > 1:
        raise InputDataError(
            f"{xml}: BOA_ADD_OFFSET differs between bands ({sorted(used)}): one scene takes one offset; "
            "define one sensor per offset under the config key `sensors:`"
        )
    scale = 1.0 / float(quantification)
    return Storage(dtype="uint16", scale=scale, offset=used.pop() * scale, nodata=nodata), baseline


def read(path: str, sensor: Sensor) -> Product:
    """Band files at their finest resolution, SCL as QA, and the storage of MTD_MSIL2A.xml if there is one."""
    folder = Path(path).parent if Path(path).name == METADATA else Path(path)
    if not folder.is_dir():
        raise InputDataError(f"Sentinel-2 product {folder} does not exist: fix the path in the scene table")
    images = _images(folder)
    codes = [band_code(b.name) for b in sensor.bands]
    fix = ("download the complete L2A product (every band of IMG_DATA), or define a sensor with only the bands "
           "you have under the config key `sensors:`")
    bands = tuple(_finest(images, c, folder, f"band {c} for sensor {sensor.name}", fix) for c in codes)
    qa = _finest(images, "SCL", folder, "scene classification layer (SCL)", "download the L2A product with its SCL")
    xml = folder / METADATA
    storage, series = None, ()
    if xml.is_file():
        storage, baseline = read_storage(xml, codes)
        series = (("processing baseline", baseline),)
    return Product(path=path, family="sentinel2_l2a", bands=bands, qa=qa, qa_kind="sentinel2_scl",
                   storage=storage, series=series, metadata_file=str(xml) if xml.is_file() else "")
