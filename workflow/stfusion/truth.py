"""The truth a site's predictions are scored against (``sites.<site>.truth``): checked when the DAG is built, read
like a scene when a prediction is scored.

A truth raster holds the fine sensor's bands: named by their band descriptions (in any order, other bands
ignored) or, when it has no descriptions, exactly the sensor's bands in the sensor's order. Floating-point data
are reflectance as they are; integer data are digital numbers, read through the fine sensor's storage (the site's
``storage.<sensor>`` when set), as a scene of that sensor is. The raster is read onto the site's fine grid, so a
truth in another projection or on another grid is scored on the grid of the predictions.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import rasterio

from .config import site_sensors
from .errors import ConfigError, InputDataError
from .grid import SiteGrid
from .ingest import open_raster, storage_for
from .io import Raster, read_raster
from .products import Product
from .reproject import warp_reflectance
from .sensors import Sensor, Storage, read_sensors

FLOAT_REFLECTANCE = Storage(dtype="float32", scale=1.0, offset=0.0, nodata=None)
PLAUSIBLE_REFLECTANCE = 2.0  # a 99th percentile above this is digital numbers or a wrong scale, not reflectance
SAMPLE_PIXELS = 64  # the scale check reads a decimated SAMPLE_PIXELS x SAMPLE_PIXELS view of each file


def truth_storage(dtype: str, sensor_storage: Storage) -> Storage:
    """Reflectance as it is for floating-point data; the sensor's (or site's) storage for digital numbers."""
    return FLOAT_REFLECTANCE if np.dtype(dtype).kind == "f" else sensor_storage


def truth_band_indexes(src: rasterio.DatasetReader, sensor: Sensor, path: str) -> list[int]:
    """The 1-based band of ``src`` that holds each of the sensor's bands, in the sensor's order."""
    names, descriptions = sensor.band_names, list(src.descriptions)
    if all(name in descriptions for name in names):
        return [descriptions.index(name) + 1 for name in names]
    if not any(descriptions) and src.count == len(names):
        return list(range(1, len(names) + 1))
    found = f"bands named {[d for d in descriptions]}" if any(descriptions) else f"{src.count} unnamed bands"
    raise InputDataError(
        f"truth file {path} has {found}, but the fine sensor {sensor.name} has {names}: name the truth's bands after "
        f"the sensor's (GDAL band descriptions, e.g. `gdal_edit.py -mo` or rasterio's `descriptions`), or give "
        f"exactly {len(names)} unnamed bands in this order"
    )


def check_truth(pattern: str, key: str, site: str, sensor: Sensor, storage: Storage, dates: Sequence[str]) -> None:
    """Every date the site predicts has a truth file with the sensor's bands, on the scale of reflectance.

    ``key``: the config key of the pattern; ``storage``: the fine sensor's storage at the site; ``dates``: the
    site's coarse dates (the dates it predicts)."""
    files = {date: pattern.format(site=site, sensor=sensor.name, date=date) for date in dates}
    missing = [path for path in files.values() if not Path(path).is_file()]
    if missing:
        raise ConfigError(
            f"config key `{key}: {pattern}` names no file for {len(missing)} of the site's {len(files)} coarse dates "
            f"({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''}): every date the site predicts is scored "
            "against its truth; add the missing files, or remove the key to score the held-out fine observations"
        )
    for path in files.values():
        with open_raster(path, what="truth") as src:
            band = truth_band_indexes(src, sensor, path)[0]
            used = truth_storage(src.dtypes[band - 1], storage)
            rows, cols = min(src.height, SAMPLE_PIXELS), min(src.width, SAMPLE_PIXELS)
            sample = src.read(band, out_shape=(rows, cols), masked=True).astype("float64")
        values = (sample * used.scale + used.offset).compressed()
        nodata = storage.nodata if used is storage else None
        if nodata is not None:
            values = values[sample.compressed() != nodata]
        if values.size and np.percentile(np.abs(values), 99) > PLAUSIBLE_REFLECTANCE:
            raise InputDataError(_scale_error(path, key, site, sensor, used, float(np.percentile(values, 99))))


def _scale_error(path: str, key: str, site: str, sensor: Sensor, used: Storage, high: float) -> str:
    if used is FLOAT_REFLECTANCE:
        return (f"truth file {path} (`{key}`) holds floating-point values up to about {high:g}, not reflectance "
                f"(0-1): scale it to reflectance, or store its digital numbers as integers, which are read through "
                f"sensor {sensor.name}'s storage (`sites.{site}.storage.{sensor.name}`)")
    return (f"truth file {path} (`{key}`) is integer; read through sensor {sensor.name}'s storage (DN * {used.scale:g} + "
            f"{used.offset:g}) it reaches {high:g}, not reflectance (0-1): set `sites.{site}.storage.{sensor.name}` to "
            f"the truth's own scale, or give the truth as floating-point reflectance")


def read_truth(path: str, sensor: Sensor, storage: Storage, grid: SiteGrid) -> Raster:
    """The truth's bands in the sensor's order, as float32 reflectance (NaN nodata) on the site's fine grid."""
    with open_raster(path, what="truth") as src:
        bands = truth_band_indexes(src, sensor, path)
        used = truth_storage(src.dtypes[bands[0] - 1], storage)
    reflectance = warp_reflectance(Product(path=path, family="raster"), sensor, used, grid, ratio=1)
    return Raster(reflectance[[band - 1 for band in bands]], grid.crs, grid.transform(1), sensor.band_names, {})


def truth_reader(truth_read: Sequence[str], storage: Mapping) -> Callable[[str], Raster]:
    """How a rule reads a date's truth: a held-out matched observation as it is (on the grid and band-matched), or,
    where the config names a truth, ``read_truth`` with ``truth_read`` = [the site's grid.json, the fine sensor's
    definition] and ``storage`` the site's ``storage.<fine sensor>`` keys."""
    if not truth_read:
        return read_raster
    grid_file, sensor_file = truth_read
    fine = next(iter(read_sensors([sensor_file]).values()))
    grid = SiteGrid.from_json(grid_file)
    return lambda path: read_truth(path, fine, storage_for(fine, storage), grid)


def check_site_truths(config: dict, scenes, generated_dir: str | None) -> None:
    """``check_truth`` for every site with a ``truth`` pattern, over its coarse dates in the scene table (``scenes``);
    a pattern under ``generated_dir`` names files a rule makes (the demo's truth) and is not checked."""
    for site, spec in config["sites"].items():
        pattern, fusion = spec.get("truth"), spec.get("fusion")
        if not pattern or not fusion or (generated_dir and Path(pattern).is_relative_to(generated_dir)):
            continue
        sensor = site_sensors(config, site)[fusion["fine"]]
        storage = storage_for(sensor, spec.get("storage", {}).get(sensor.name))
        dates = sorted(scenes[(scenes.site == site) & (scenes.sensor == fusion["coarse"])].date)
        check_truth(pattern, f"sites.{site}.truth", site, sensor, storage, dates)
