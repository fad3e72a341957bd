"""A raw scene's values, read in full by the catalogue: a truncated file is refused there, and the values must
fit the storage that the pipeline applies to them.

Reading every block is the only way to know that a file is whole: a Cloud-Optimized GeoTIFF keeps its header and
overviews at the start, so a download cut short opens and describes itself normally and fails only when a job
reads the missing blocks. Remote assets (``/vsicurl/``, ``/vsis3/``, ...) are not read here: the reprojection
reads only the part of them over the site, and a full read would download whole scenes.

The same pass summarises the values against the sensor's ``value_range`` (reflectance: [0, 1]) widened by its
width on each side (reflectance: [-1, 2]), which no correctly scaled scene leaves with most of its pixels:

- floating-point values that mostly lie in that range already, under a storage that multiplies by a scale
  other than 1 (float reflectance 0..1 under int16 x 1e-4 becomes 0..1e-4, kept as dark and fused);
- values that mostly leave that range once the storage is applied (integers up to 10000 under a float
  reflectance storage stay 0..10000).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np
import rasterio
from rasterio.errors import RasterioIOError
from rasterio.windows import Window

from .errors import InputDataError
from .packaged import SENSOR_DIR
from .products.remote import VSI
from .sensors import Sensor, Storage

CHUNK_BYTES = 64 * 2**20
REMOTE = tuple(sorted(set(VSI.values())))


def is_remote(name: str) -> bool:
    """A GDAL name of a network file system (its blocks are fetched on demand, not read in full here)."""
    return name.startswith(REMOTE)


def _windows(src: rasterio.DatasetReader) -> Iterator[Window]:
    """Full-width windows of whole block rows, about CHUNK_BYTES for all bands together."""
    block_rows = src.block_shapes[0][0]
    row_bytes = src.width * src.count * np.dtype(src.dtypes[0]).itemsize
    rows = max(1, CHUNK_BYTES // (row_bytes * block_rows)) * block_rows
    for top in range(0, src.height, rows):
        yield Window(0, top, src.width, min(rows, src.height - top))


def read_in_full(path: str, what: str, fix: str, nodata: float | None = None) -> Iterator[np.ma.MaskedArray]:
    """Every value of a raster, all bands, chunk by chunk, masked where it equals the file's nodata (else
    ``nodata``) or is not finite; an InputDataError naming the file and ``fix`` if a block cannot be read."""
    try:
        with rasterio.open(path) as src:
            fill = nodata if src.nodata is None else src.nodata
            for window in _windows(src):
                data = src.read(window=window)
                missing = ~np.isfinite(data) if data.dtype.kind == "f" else np.zeros(data.shape, bool)
                if fill is not None:
                    missing |= data == fill
                yield np.ma.MaskedArray(data, mask=missing)
    except RasterioIOError as err:
        detail = err.__cause__ or err  # GDAL's own message (the block that failed) when rasterio keeps it
        raise InputDataError(
            f"{what} file {path} cannot be read in full ({detail}): it is truncated or damaged; {fix}"
        ) from err


@dataclass(frozen=True)
class ValueSummary:
    """The valid values of a scene: data type, count, extremes, and how many lie in the plausible range as
    stored (``inside_as_stored``) and once the storage is applied (``inside_as_scaled``)."""

    dtype: str
    count: int
    low: float
    high: float
    inside_as_stored: int
    inside_as_scaled: int


def plausible_range(value_range: tuple[float, float]) -> tuple[float, float]:
    """The sensor's value range widened by its width on each side (reflectance: [-1, 2])."""
    low, high = value_range
    return low - (high - low), high + (high - low)


def summarise(chunks: Iterable[np.ma.MaskedArray], dtype: str, storage: Storage,
              value_range: tuple[float, float] | None) -> ValueSummary:
    """Count the valid values of ``chunks`` in the plausible range, as stored and as ``DN * scale + offset`` (all of
    them for a sensor without a value range)."""
    low, high = (-np.inf, np.inf) if value_range is None else plausible_range(value_range)
    scaled_bounds = sorted(((low - storage.offset) / storage.scale, (high - storage.offset) / storage.scale))
    count = inside_stored = inside_scaled = 0
    extremes = [np.inf, -np.inf]
    for chunk in chunks:
        values, valid = chunk.data, ~np.ma.getmaskarray(chunk)
        found = int(np.count_nonzero(valid))
        if found == 0:
            continue
        count += found
        top = np.iinfo(values.dtype) if values.dtype.kind in "iu" else np.finfo(values.dtype)
        extremes = [min(extremes[0], float(values.min(where=valid, initial=top.max))),
                    max(extremes[1], float(values.max(where=valid, initial=top.min)))]
        inside_stored += int(np.count_nonzero(valid & (values >= low) & (values <= high)))
        inside_scaled += int(np.count_nonzero(valid & (values >= scaled_bounds[0]) & (values <= scaled_bounds[1])))
    return ValueSummary(dtype, count, *extremes, inside_stored, inside_scaled)


def storage_location(sensor: str, site: str, override: dict | None) -> str:
    """Where the storage applied to a sensor's scenes at a site is set."""
    if override:
        return f"the config key `sites.{site}.storage.{sensor}`"
    return (f"the `storage` of sensor {sensor} ({SENSOR_DIR / f'{sensor}.yaml'}, or the config key "
            f"`sensors.{sensor}.storage` where the config defines it)")


def _number(value: float) -> str:
    """A value for a message: whole from 100 up (stored numbers), three significant digits below."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _quantity(value_range: tuple[float, float]) -> str:
    return "reflectance 0..1" if value_range == (0.0, 1.0) else f"sensor values {value_range[0]:g}..{value_range[1]:g}"


def check_fits_storage(summary: ValueSummary, path: str, sensor: Sensor, storage: Storage, site: str,
                       where: str) -> None:
    """Refuse a scene whose values contradict the storage applied to them (module docstring), naming the file,
    ``where`` the storage is set (:func:`storage_location`) and the fix."""
    if sensor.value_range is None or summary.count == 0:
        return
    quantity = _quantity(sensor.value_range)
    low, high = plausible_range(sensor.value_range)
    rule = f"reflectance = DN * {storage.scale:g} {'-' if storage.offset < 0 else '+'} {abs(storage.offset):g}"
    scaled = [_number(v) for v in sorted(v * storage.scale + storage.offset for v in (summary.low, summary.high))]
    scaled_range = f"all about {scaled[0]}" if scaled[0] == scaled[1] else f"{scaled[0]} to {scaled[1]}"
    values = f"{summary.dtype} values from {_number(summary.low)} to {_number(summary.high)}"
    key = f"sites.{site}.storage.{sensor.name}"
    if summary.dtype.startswith("float") and storage.scale != 1 and summary.inside_as_stored > summary.count / 2:
        raise InputDataError(
            f"scene {path} holds {values}, already {quantity}, but {where} applies {rule}, which would make them "
            f"{scaled_range}: if the file holds {quantity}, set `{key}: {{scale: 1, offset: 0}}`; "
            f"if it should hold stored numbers, export it again from the product"
        )
    if summary.inside_as_scaled <= summary.count / 2:
        outside = 1 - summary.inside_as_scaled / summary.count
        raise InputDataError(
            f"scene {path} holds {values}; {where} applies {rule}, which leaves {outside:.0%} of them outside "
            f"{low:g}..{high:g}, so they are not {quantity}: set the product's scale and offset as "
            f"`{key}: {{scale: ..., offset: ...}}` (e.g. {{scale: 1.0e-4, offset: 0}} for reflectance x 10^4), or "
            "define a sensor whose `storage` matches the file"
        )
