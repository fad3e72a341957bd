"""Harmonized Landsat Sentinel-2 (HLS) v2.0 products: a folder of the per-band COGs of one granule.

Names and storage as in the HLS v2.0 user guide (Masek et al. 2021, "HLS Product User Guide v2.0", LP DAAC):
``HLS.<L30|S30>.T<tile>.<YYYYDDD>T<hhmmss>.v2.0.<band>.tif`` with bands ``B01`` ... and ``Fmask``; reflectance
bands are int16, reflectance = DN * 0.0001, fill -9999; ``Fmask`` is a uint8 bit field (fill 255; the QA kind
``hls_fmask``). L30 (Landsat 8/9 OLI) numbers its bands as OLI does (``B05`` NIR), S30 (Sentinel-2 MSI) as MSI does
(``B05`` red edge 1, ``B8A`` NIR narrow): band ``B<n>`` of the sensor file is the granule's ``B<nn>``, so L30 is
read with a Landsat sensor and S30 with a Sentinel-2 one, which the granule's product (L30 or S30) checks. The
date is the granule's day of year; the satellite (one of two for each product) is not in the names. STAC items of
HLS granules (NASA's own ``_stac.json``, which the Planetary Computer's ``hls2-l30``/``hls2-s30`` serve with their
hrefs moved to Azure) name the granule as their id and state no storage: :mod:`.stac` takes both checks and the
storage from here.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputDataError
from ..sensors import Sensor, Storage
from .base import Product, doy_period, missing_file
from .sentinel2 import band_code

STEM = r"HLS\.(?P<product>[LS]30)\.T\w{5}\.(?P<year>\d{4})(?P<doy>\d{3})T\d{6}\.v2\.\d+"
GRANULE = re.compile(rf"(?P<stem>{STEM})\.(?P<layer>\w+)\.tif$")
PLATFORMS = {"L30": ("landsat-8", "landsat-9"), "S30": ("sentinel-2a", "sentinel-2b", "sentinel-2c")}
STORAGE = Storage(dtype="int16", scale=1.0e-4, offset=0.0, nodata=-9999.0)
THERMAL = ("B10", "B11")  # L30's TIRS bands: brightness temperature, scale 0.01 degrees Celsius


def names_product(path: Path) -> bool:
    """An HLS v2.0 band file, or a folder holding one."""
    if path.is_dir():
        return any(GRANULE.match(p.name) for p in path.iterdir())
    return bool(GRANULE.match(path.name))


def _granule(path: Path) -> tuple[Path, re.Match]:
    """The folder and the name of the one granule that ``path`` names."""
    folder, files = (path, sorted(path.iterdir())) if path.is_dir() else (path.parent, [path])
    stems = {m["stem"]: m for f in files if (m := GRANULE.match(f.name))}
    if len(stems) != 1:
        raise InputDataError(
            f"HLS folder {path} holds {len(stems)} granules ({', '.join(sorted(stems))}): name one band file of the "
            "granule (e.g. its .B04.tif) in the scene table instead of the folder"
        )
    return folder, next(iter(stems.values()))


def product_of(granule_id: str) -> str | None:
    """``L30`` or ``S30`` for an HLS v2.0 granule id (``HLS.L30.T19LBJ.2020239T144556.v2.0``), None for another id."""
    match = re.fullmatch(STEM, granule_id)
    return match["product"] if match else None


def check_sensor(granule: str, product: str, sensor: Sensor) -> None:
    """Refuse a sensor whose bands the granule numbers otherwise, or asks L30's thermal bands as reflectance."""
    if sensor.platforms and not set(sensor.platforms) & set(PLATFORMS[product]):
        raise InputDataError(
            f"{granule} is an HLS {product} granule ({', '.join(PLATFORMS[product])}), but its row "
            f"has sensor {sensor.name} ({', '.join(sensor.platforms)}), whose bands are numbered otherwise: give "
            f"the row {'landsat8_oli' if product == 'L30' else 'sentinel2_msi'}"
        )
    thermal = [b.name for b in sensor.bands if product == "L30" and band_code(b.name) in THERMAL]
    if thermal:
        raise InputDataError(
            f"{granule}: sensor {sensor.name} asks for bands {', '.join(thermal)}, which HLS L30 stores "
            "as brightness temperature (degrees Celsius x 100), not reflectance: read the surface temperature from the "
            "Landsat C2 L2 product (sensor landsat8_tirs), or give the row landsat8_oli"
        )


def read(path: str, sensor: Sensor) -> Product:
    """The granule's ``B<nn>`` files of the sensor's bands, ``Fmask`` as QA, the HLS storage and the day of year."""
    folder, granule = _granule(Path(path))
    stem, product = granule["stem"], granule["product"]
    check_sensor(str(folder / stem), product, sensor)
    bands = []
    for band in sensor.bands:
        file = folder / f"{stem}.{band_code(band.name)}.tif"
        if not file.is_file():
            raise missing_file(stem, f"band {band.name} of sensor {sensor.name}", file,
                               "download every band of the granule into one folder, or define a sensor with only the "
                               "bands you have under the config key `sensors:`")
        bands.append(str(file))
    qa = folder / f"{stem}.Fmask.tif"
    if not qa.is_file():
        raise missing_file(stem, "Fmask layer", qa, "download the granule's Fmask.tif with its bands")
    return Product(path=path, family=f"hls_{product.lower()}", bands=tuple(bands), qa=str(qa), qa_kind="hls_fmask",
                   storage=STORAGE, acquired=doy_period(granule["year"], granule["doy"]))
