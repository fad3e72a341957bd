"""Sentinel-2 Level-2A products: a ``.SAFE`` folder or its ``.zip``, its ``MTD_MSIL2A.xml``, or a folder of band files.

Layout as in ESA's Sentinel-2 Products Specification Document (S2-PDGS-TAS-DI-PSD, Level-2A):
``<name>.SAFE/MTD_MSIL2A.xml`` and ``GRANULE/<granule>/IMG_DATA/R10m|R20m|R60m/<tile>_<time>_<band>_<res>m.jp2``
(B02 ... B12, B8A, SCL). Each band is taken at the finest resolution the product has (B02 at 10 m,
B05 at 20 m, B01 at 60 m; SCL at 20 m). A ``.SAFE.zip`` is read in place (:mod:`.archive`). A folder of per-band
files is read the same way: ESA's names (``..._B02_10m.jp2``) or the bare names of Earth Search's COGs (``B04.tif``,
``SCL.tif``). The metadata file is found in any case of its name (older products have ``MTD_MSIL2a.xml``).

Storage: ``reflectance = (DN + BOA_ADD_OFFSET) / BOA_QUANTIFICATION_VALUE``; from processing baseline
04.00 (25 January 2022) the XML carries ``BOA_ADD_OFFSET_VALUES_LIST`` with -1000 for every band, before
it no offset (ESA, "Sentinel-2: new processing baseline 04.00", COPE-GSEG-EOPG-TN-21-0024 and the L2A
product format); fill is the ``NODATA`` special value (0). Without the XML, the baseline is the ``N<xxyy>`` of the
product name (``S2B_MSIL2A_20220413T150759_N0400_R025_...``: the SAFE's or the zip's name, the folder's, or the
``productName`` of a ``tileinfo_metadata.json``), and the storage is the quantification 10000 with the offset of
that baseline. Earth Search's COGs (bare names, ``B04.tif``) take no storage from a name: its v1 collections apply
the offset to the COGs of baseline 04.00 on (the items' ``earthsearch:boa_offset_applied``), so the name's baseline
does not tell the COG's offset. A folder that states no storage takes none of its own: the site must give it
(:func:`stfusion.ingest.scene_storage` refuses it otherwise); a COG folder is best read through its STAC item. Each scene carries its own storage, so a series
across baselines 04.00 and 05.xx, or 03.01 and 04.00, is read as it is.

Date and satellite: ``PRODUCT_START_TIME`` and ``SPACECRAFT_NAME`` of the XML, else the product name's
(``S2B`` ... ``_20220413T``) or the Earth Search item ID's (``S2A_32TQM_20220105_0_L2A``).
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

METADATA = re.compile(r"MTD_MSIL2A\.xml", re.IGNORECASE)
TILEINFO = ("tileinfo_metadata.json", "tileInfo.json")  # Earth Search v1 / the AWS open-data bucket
BAND_IDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12")  # band_id 0..12
FIRST_OFFSET_BASELINE = (4, 0)
QUANTIFICATION, FILL = 10000.0, 0.0
IMAGE = re.compile(r"(?:.*_)?(?P<band>B\d[\dA]|SCL)(_(?P<res>\d+)m)?\.(jp2|tif|tiff)$", re.IGNORECASE)
PRODUCT_NAME = re.compile(r"(?P<sat>S2[A-D])_MSIL2A_(?P<day>\d{8})T\d{6}_N(?P<baseline>\d{4})_")
ITEM_ID = re.compile(r"(?P<sat>S2[A-D])_\d{1,2}[A-Z]{3}_(?P<day>\d{8})_\d+_L2A")


def names_product(path: Path) -> bool:
    """The metadata file, a ``.SAFE`` folder or zip, or a folder with per-band files."""
    if METADATA.fullmatch(path.name) or path.suffix == ".SAFE":
        return True
    if is_archive(path):
        return path.suffix.lower() == ".zip" and (".SAFE" in path.name or bool(PRODUCT_NAME.match(path.name)))
    return path.is_dir() and any(METADATA.fullmatch(p.name) or IMAGE.match(p.name) for p in path.iterdir())


def band_code(name: str) -> str:
    """The product's band code of a sensor band name: B2 -> B02, B8A -> B8A."""
    match = re.fullmatch(r"B0?(\d+)(A?)", name.upper())
    if not match:
        return name.upper()
    return f"B{int(match[1])}A" if match[2] else f"B{int(match[1]):02d}"


def _tree(path: Path) -> Tree:
    """The files of the product: the folder (of the XML), or the ``.SAFE`` folder inside a zip."""
    folder = path.parent if METADATA.fullmatch(path.name) else path
    if not folder.exists():
        raise InputDataError(f"Sentinel-2 product {folder} does not exist: fix the path in the scene table")
    tree = open_tree(folder)
    if tree.archive:
        tops = {m.split("/")[0] for m in tree.members if "/" in m}
        if len(tops) == 1:
            tree = tree.within(tops.pop())
    return tree


def _images(tree: Tree) -> dict[str, list[tuple[int, str]]]:
    """{band code: [(resolution m, member)]} of the image files of a SAFE or a flat folder."""
    found: dict[str, list[tuple[int, str]]] = {}
    for member in tree.glob("GRANULE/*/IMG_DATA/R*m/*") or tree.glob("*"):
        match = IMAGE.match(member.rsplit("/", 1)[-1])
        if match:
            found.setdefault(match["band"].upper(), []).append((int(match["res"] or 0), member))
    return found


def _finest(tree: Tree, images: dict, code: str, what: str, fix: str) -> str:
    if code not in images:
        raise missing_file(str(tree), what, tree.gdal(f"*_{code}_*m.jp2"), fix)
    return tree.gdal(min(images[code])[1])


def read_storage(text: str, where: str, codes: list[str]) -> tuple[Storage, str, ET.Element]:
    """Scale, offset and fill of the bands ``codes``, the processing baseline, and the parsed MTD_MSIL2A.xml."""
    root = ET.fromstring(text)
    baseline = root.findtext(".//PROCESSING_BASELINE")
    quantification = root.findtext(".//BOA_QUANTIFICATION_VALUE")
    if baseline is None or quantification is None:
        raise InputDataError(
            f"{where} has no PROCESSING_BASELINE or BOA_QUANTIFICATION_VALUE: it is not a Level-2A product's "
            "metadata; download the product again"
        )
    offsets = {BAND_IDS[int(e.get("band_id"))]: float(e.text) for e in root.iter("BOA_ADD_OFFSET")}
    nodata = next((float(v.findtext("SPECIAL_VALUE_INDEX")) for v in root.iter("Special_Values")
                   if v.findtext("SPECIAL_VALUE_TEXT") == "NODATA"), FILL)
    major_minor = tuple(int(p) for p in baseline.split("."))
    if (major_minor >= FIRST_OFFSET_BASELINE) != bool(offsets):
        raise InputDataError(
            f"{where}: processing baseline {baseline} {'without' if not offsets else 'with'} BOA_ADD_OFFSET values, "
            f"but baselines from 04.00 on have them and earlier ones do not: the metadata is inconsistent; "
            "download the product again"
        )
    used = {offsets.get(code, 0.0) for code in codes}
    if len(used) > 1:
        raise InputDataError(
            f"{where}: BOA_ADD_OFFSET differs between bands ({sorted(used)}): one scene takes one offset; "
            "define one sensor per offset under the config key `sensors:`"
        )
    scale = 1.0 / float(quantification)
    return Storage(dtype="uint16", scale=scale, offset=used.pop() * scale, nodata=nodata), baseline, root


def baseline_storage(baseline: str) -> Storage:
    """The storage of an L2A product of processing baseline ``baseline`` (``04.00``): offset -1000 DN from 04.00 on."""
    offset = -1000.0 if tuple(int(p) for p in baseline.split(".")) >= FIRST_OFFSET_BASELINE else 0.0
    return Storage(dtype="uint16", scale=1.0 / QUANTIFICATION, offset=offset / QUANTIFICATION, nodata=FILL)


def _named(tree: Tree) -> tuple[re.Match | None, re.Match | None]:
    """The ESA product name and the Earth Search item ID that the product's path or tile info states."""
    names = [Path(str(tree)).name]
    for info in (f for f in TILEINFO if tree.exists(f)):
        names.append(str(json.loads(tree.read_text(info)).get("productName", "")))
    product = next((m for n in names if (m := PRODUCT_NAME.search(n))), None)
    return product, next((m for n in names if (m := ITEM_ID.search(n))), None)


def read(path: str, sensor: Sensor) -> Product:
    """Band files at their finest resolution, SCL as QA, the storage of the XML or of the product name's baseline,
    and the date and satellite the product states."""
    tree = _tree(Path(path))
    images = _images(tree)
    codes = [band_code(b.name) for b in sensor.bands]
    fix = ("download the complete L2A product (every band of IMG_DATA), or define a sensor with only the bands "
           "you have under the config key `sensors:`")
    bands = tuple(_finest(tree, images, c, f"band {c} for sensor {sensor.name}", fix) for c in codes)
    qa = _finest(tree, images, "SCL", "scene classification layer (SCL)", "download the L2A product with its SCL")
    xml = next((m for m in tree.glob("*") if METADATA.fullmatch(m)), "")
    product_name, item_id = _named(tree)
    named = product_name or item_id
    storage, acquired, platform = None, "", ""
    if named:
        acquired, platform = f"{named['day'][:4]}-{named['day'][4:6]}-{named['day'][6:]}", platform_name(named["sat"])
    if xml:
        storage, _, root = read_storage(tree.read_text(xml), tree.gdal(xml), codes)
        acquired = (root.findtext(".//PRODUCT_START_TIME") or acquired)[:10]
        platform = platform_name(root.findtext(".//SPACECRAFT_NAME") or platform)
    elif product_name and "_" in bands[0].rsplit("/", 1)[-1]:  # ESA's band names: the product's own DN
        storage = baseline_storage(f"{product_name['baseline'][:2]}.{product_name['baseline'][2:]}")
    return Product(path=path, family="sentinel2_l2a" if storage else "sentinel2_bands", bands=bands, qa=qa,
                   qa_kind="sentinel2_scl", storage=storage,
                   metadata_file=tree.gdal(xml) if xml and not tree.archive else "",
                   acquired=(acquired, acquired) if acquired else (), platform=platform)
