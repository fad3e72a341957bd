"""MODIS surface reflectance granules as LAADS and LP DAAC deliver them: HDF4-EOS ``.hdf`` files, read with pyhdf.

The GDAL of rasterio's wheels has no HDF4 driver; pyhdf's wheels carry the HDF4 library. A granule
``MOD09GA.A2021152.h19v04.061.<production>.hdf`` (``MYD`` for Aqua; ``09A1`` the 8-day composite) holds one
Scientific Data Set (SDS) per layer: ``sur_refl_b01_1`` ... ``sur_refl_b07_1`` and ``state_1km_1`` (MOD09GA),
``sur_refl_b01`` ... ``sur_refl_b07`` and ``sur_refl_state_500m`` (MOD09A1). Its geolocation is the file attribute
``StructMetadata.0`` (HDF-EOS grid: ``XDim``, ``YDim``, ``UpperLeftPointMtrs``, ``LowerRightMtrs`` on the
sinusoidal projection ``GCTP_SNSOID`` of sphere radius ``ProjParams[0]``; HDF-EOS Library User's Guide, volume 1).
Storage comes from each SDS's attributes: ``reflectance = scale_factor * (DN - add_offset)`` (the HDF4 calibration
convention of SDsetcal; MOD09: int16, scale_factor 0.0001, add_offset 0, ``_FillValue`` -28672).

Layers are named as GDAL names them, ``HDF4_EOS:EOS_GRID:"<file>":<grid>:<field>``; :func:`layer_file` copies one
into GDAL's memory file system when a job reads it, so the rest of the pipeline opens it like any raster.
"""
from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np
import rasterio
import rasterio.shutil
from affine import Affine
from pyhdf.error import HDF4Error
from pyhdf.SD import SD, SDC

from ..errors import InputDataError
from ..sensors import Sensor, Storage
from .base import Product, doy_period
from .odl import parse_odl

GRANULE = re.compile(r"(?P<sat>M[OY]D)09(?P<kind>GA|A1)\.A(?P<year>\d{4})(?P<doy>\d{3})\..*\.hdf$", re.IGNORECASE)
PERIOD_DAYS = {"GA": 1, "A1": 8}  # MOD09GA daily, MOD09A1 the best pixel of 8 days from its first day
PLATFORMS = {"MOD": "terra", "MYD": "aqua"}
QA_FIELDS = ("state_1km_1", "sur_refl_state_500m")
LAYER = re.compile(r'HDF4_EOS:EOS_GRID:"(?P<file>[^"]+)":(?P<grid>[^:]+):(?P<field>\w+)$')


def names_product(path: Path) -> bool:
    return path.suffix.lower() == ".hdf"


def is_layer(name: str) -> bool:
    """A layer name of this module (``HDF4_EOS:EOS_GRID:...``)."""
    return bool(LAYER.match(str(name)))


def _open(path: Path) -> SD:
    try:
        return SD(str(path), SDC.READ)
    except HDF4Error as err:
        raise InputDataError(f"{path} is not a readable HDF4 file ({err}): download the granule again") from err


def grids(struct_metadata: str) -> dict[str, dict]:
    """{grid name: {"width", "height", "transform", "crs", "fields"}} of an HDF-EOS StructMetadata text."""
    found = {}
    for grid in parse_odl(struct_metadata).get("GridStructure", {}).values():
        if not isinstance(grid, dict) or "GridName" not in grid:
            continue
        (x0, y0), (x1, y1) = (tuple(float(v) for v in grid[k].strip("()").split(",")) for k in ("UpperLeftPointMtrs", "LowerRightMtrs"))
        width, height = int(grid["XDim"]), int(grid["YDim"])
        radius = float(grid["ProjParams"].strip("()").split(",")[0])
        found[grid["GridName"]] = {
            "width": width, "height": height, "transform": Affine((x1 - x0) / width, 0, x0, 0, (y1 - y0) / height, y0),
            "crs": f"+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +R={radius:.6f} +units=m +no_defs",
            "fields": [f["DataFieldName"] for f in grid.get("DataField", {}).values() if isinstance(f, dict)],
        }
    return found


def _struct_metadata(sd: SD) -> str:
    attributes = sd.attributes()
    return "".join(attributes[k] for k in sorted(a for a in attributes if a.startswith("StructMetadata.")))


def read(path: str, sensor: Sensor) -> Product:
    """The SDS layers of the sensor's bands ``B<n>`` (``sur_refl_b0<n>[_1]``), the state layer as QA, the storage
    of their attributes, and the granule's period and satellite from its name."""
    file = Path(path)
    if not file.is_file():
        raise InputDataError(f"MODIS granule {file} does not exist: fix the path in the scene table")
    sd = _open(file)
    try:
        layout = grids(_struct_metadata(sd))
        where = {field: name for name, grid in layout.items() for field in grid["fields"]}
        bands, storages = [], set()
        for band in sensor.bands:
            stem = f"sur_refl_b{int(band.name.removeprefix('B')):02d}"
            field = next((f for f in (f"{stem}_1", stem) if f in where), None)
            if field is None:
                raise InputDataError(
                    f"MODIS granule {file} has no layer {stem} or {stem}_1 for band {band.name} of sensor {sensor.name} "
                    f"(its layers: {', '.join(where)}): name a MOD09GA/MYD09GA or MOD09A1/MYD09A1 granule (500 m bands "
                    "1-7), or define a sensor with the bands it has under the config key `sensors:`")
            attributes = sd.select(field).attributes()
            scale = float(attributes.get("scale_factor", 1.0))
            storages.add((scale, -scale * float(attributes.get("add_offset", 0.0)), attributes.get("_FillValue")))
            bands.append(f'HDF4_EOS:EOS_GRID:"{file}":{where[field]}:{field}')
        qa = next((f for f in QA_FIELDS if f in where), None)
        if qa is None:
            raise InputDataError(f"MODIS granule {file} has no state layer ({' or '.join(QA_FIELDS)}; its layers: "
                                 f"{', '.join(where)}): name a MOD09GA/MYD09GA or MOD09A1/MYD09A1 granule")
    finally:
        sd.end()
    if len(storages) > 1:
        raise InputDataError(f"{file}: the layers of sensor {sensor.name} state different scale/offset/fill {sorted(storages, key=str)}: "
                             "define one sensor per storage under the config key `sensors:`")
    (scale, offset, fill), = storages
    name = GRANULE.match(file.name)
    acquired = doy_period(name["year"], name["doy"], PERIOD_DAYS[name["kind"].upper()]) if name else ()
    return Product(path=path, family="modis_hdf", bands=tuple(bands), qa=f'HDF4_EOS:EOS_GRID:"{file}":{where[qa]}:{qa}',
                   qa_kind="modis_state", storage=Storage("int16", scale, offset, None if fill is None else float(fill)),
                   acquired=acquired, platform=PLATFORMS[name["sat"].upper()] if name else "")


@contextmanager
def layer_file(name: str) -> Iterator[str]:
    """A GeoTIFF in GDAL's memory file system holding the layer ``name`` (sinusoidal, with the SDS's fill as nodata),
    removed when the block ends."""
    match = LAYER.match(name)
    sd = _open(Path(match["file"]))
    try:
        grid = grids(_struct_metadata(sd))[match["grid"]]
        sds = sd.select(match["field"])
        data, fill = np.asarray(sds.get()), sds.attributes().get("_FillValue")
    finally:
        sd.end()
    memory = f"/vsimem/stfusion/{uuid.uuid4().hex}/{match['field']}.tif"
    with rasterio.open(memory, "w", driver="GTiff", width=grid["width"], height=grid["height"], count=1,
                       dtype=data.dtype.name, crs=grid["crs"], transform=grid["transform"], nodata=fill) as dst:
        dst.write(data[None])
    try:
        yield memory
    finally:
        rasterio.shutil.delete(memory)
