"""One method's fused series as a datacube that ``xarray.open_zarr(path)`` opens in one line.

Layout: ``reflectance`` (time, band, y, x), float32, NaN where nothing was predicted, units "1" (reflectance 0..1);
``quality`` (time, quality_band, y, x) in its COGs' own data type and fill, where a quality COG
``{date}_quality.tif`` lies beside every prediction (issue 25, item 3); ``uncertainty`` (time, band, y, x),
float32, the half-width of the 90 % interval around the reflectance (units "1"), where a ``{date}_uncertainty.tif``
lies beside every prediction (issue 26, item 3). Coordinates as the CF conventions name them
(CF 1.8, sections 4 and 5.6): ``time`` (datetime64, the prediction dates), ``band`` (the COGs' band names), ``y``/``x``
the pixel centres in the CRS's unit, and the grid mapping ``spatial_ref`` written by rioxarray (``crs_wkt`` and
the GeoTransform), which rioxarray's ``.rio`` and odc-geo's ``.odc`` accessors read. It is listed as a coordinate
of each variable, so a plain ``open_zarr`` keeps it as one (by CF's rule it would come back as a data variable).

Chunks: one date, every band, tiles of ``tile`` x ``tile`` pixels. Zarr format 2 with consolidated metadata: the
format every xarray and zarr-python reads without an argument (zarr-python 2 reads only format 2; zarr-python 3
and GDAL read both), one metadata read per open; format 3 would store the band names as a string type with no
format-3 specification yet, and its consolidated metadata is not part of that specification either.

The cube is assembled from the per-date COGs one date at a time (memory: one date) into a folder beside it that
replaces it at the end (:func:`stfusion.io.atomic_directory`): a killed job leaves no half cube. A new date re-assembles
the whole cube, which costs about as much as reading its COGs once (docs/results/series.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
import rasterio
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from affine import Affine

from .. import __version__
from ..errors import InputDataError
from ..io import atomic_directory

ZARR_FORMAT = 2
TIME_ENCODING = {"units": "days since 1970-01-01", "calendar": "proleptic_gregorian", "dtype": "int32"}
DESCRIBED_TAGS = ("site", "method", "model", "sensor")  # tags of the prediction COGs kept as the cube's attributes


@dataclass(frozen=True)
class Layer:
    """One date's COG as stored: its bands (bands, rows, cols) in their own data type, grid, names and fill."""

    path: str
    data: np.ndarray
    crs: rasterio.crs.CRS
    transform: Affine
    names: list[str]
    nodata: float | None
    tags: dict[str, str]

    def grid(self) -> tuple:
        return self.crs, self.transform, self.data.shape[1:]


def read_layer(path: str | Path) -> Layer:
    """A COG's bands as stored (no scaling, no masking: the cube holds the same bits)."""
    with rasterio.open(path) as src:
        return Layer(str(path), src.read(), src.crs, src.transform, list(src.descriptions), src.nodata, src.tags())


def check_like(layer: Layer, grid: Layer, bands: Layer) -> None:
    """Every COG of a cube is on the grid of the first prediction (``grid``) and has the band names of the first COG
    of its variable (``bands``)."""
    if layer.grid() != grid.grid():
        raise InputDataError(
            f"{layer.path} is on another grid (CRS {layer.crs}, transform {tuple(layer.transform)[:6]}, shape "
            f"{layer.data.shape[1:]}) than {grid.path} (CRS {grid.crs}, transform {tuple(grid.transform)[:6]}, "
            f"shape {grid.data.shape[1:]}): every date of a site is on the site's grid; delete the file that was "
            "not written by this run's config so that the pipeline writes it again")
    if layer.names != bands.names:
        raise InputDataError(f"{layer.path} has bands {layer.names} but {bands.path} has {bands.names}: every date "
                             "of a method has the same bands; delete the file that was not written by this run's "
                             "config so that the pipeline writes it again")


def pixel_centres(transform: Affine, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """y and x of the pixel centres of a north-up grid."""
    return (transform.f + transform.e * (np.arange(rows) + 0.5),
            transform.c + transform.a * (np.arange(cols) + 0.5))


def date_dataset(date: str, prediction: Layer, quality: Layer | None, uncertainty: Layer | None = None) -> xr.Dataset:
    """The cube's slice of one date, with its coordinates, attributes and grid mapping."""
    y, x = pixel_centres(prediction.transform, *prediction.data.shape[1:])
    variables = {"reflectance": (("time", "band", "y", "x"), prediction.data[None],
                                 {"long_name": "fused surface reflectance", "units": "1"})}
    coords = {"time": ("time", np.array([date], dtype="datetime64[ns]"), {"standard_name": "time", "axis": "T"}),
              "band": ("band", prediction.names, {"long_name": "band name"}), "y": y, "x": x}
    if quality is not None:
        variables["quality"] = (("time", "quality_band", "y", "x"), quality.data[None],
                                {"long_name": "quality of the fused reflectance (docs/results/series.md)"})
        coords["quality_band"] = ("quality_band", quality.names, {"long_name": "quality band name"})
    if uncertainty is not None:
        variables["uncertainty"] = (("time", "band", "y", "x"), uncertainty.data[None],
                                    {"long_name": f"half-width of the {float(uncertainty.tags['level']):.0%} interval "
                                     "around the fused reflectance", "units": "1"})
    dataset = xr.Dataset(variables, coords, attrs=cube_attributes(prediction))
    dataset = (dataset.rio.write_crs(prediction.crs).rio.write_transform(prediction.transform)
               .rio.write_coordinate_system().rio.write_grid_mapping())
    for variable in dataset.data_vars.values():
        variable.encoding["coordinates"] = "spatial_ref"
    return dataset


def cube_attributes(prediction: Layer) -> dict[str, str]:
    found = {k: prediction.tags[k] for k in DESCRIBED_TAGS if k in prediction.tags}
    return {"Conventions": "CF-1.8", "title": "stfusion fused reflectance series", **found,
            "source": f"stfusion {__version__}: the prediction COGs of each date"}


def encoding(prediction: Layer, quality: Layer | None, tile: int, uncertainty: bool = False) -> dict[str, dict]:
    """Chunks of one date, every band and ``tile`` pixels square; each variable's fill; the time unit."""
    rows, cols = prediction.data.shape[1:]
    tiles = (min(tile, rows), min(tile, cols))
    found = {"time": TIME_ENCODING,
             "reflectance": {"chunks": (1, len(prediction.names), *tiles), "_FillValue": np.float32(np.nan)}}
    if quality is not None:
        fill = None if quality.nodata is None else np.array(quality.nodata, dtype=quality.data.dtype)
        found["quality"] = {"chunks": (1, len(quality.names), *tiles), "_FillValue": fill}
    if uncertainty:
        found["uncertainty"] = found["reflectance"]
    return found


def write_cube(path: str | Path, predictions: Mapping[str, str | Path], qualities: Mapping[str, str | Path],
               tile: int, like: str | Path | None = None, uncertainties: Mapping[str, str | Path] = {}) -> None:
    """Assemble the cube at ``path`` from ``{date: prediction COG}`` and, if not empty, ``{date: quality COG}`` and
    ``{date: uncertainty COG}`` for the same dates; ``tile``: the y/x chunk size in pixels. A method that predicts no date gets a cube of no
    date on the grid and bands of ``like`` (a raster such as its predictions would be)."""
    for kind, beside in (("quality", qualities), ("uncertainty", uncertainties)):
        if beside and set(beside) != set(predictions):
            raise ValueError(f"{kind} COGs for dates {sorted(beside)} but predictions for {sorted(predictions)}")
    if not predictions and like is None:
        raise ValueError("a cube without dates needs `like`, a raster on the grid and bands of the predictions")
    dates = sorted(predictions)
    first: dict[str, Layer] = {}
    with atomic_directory(path) as tmp:
        if not dates:
            layer = read_layer(like)
            dataset = date_dataset("1970-01-01", layer, None).isel(time=slice(0, 0))
            dataset.to_zarr(tmp, mode="w", zarr_format=ZARR_FORMAT, consolidated=True,
                            encoding=encoding(layer, None, tile))
        for date in dates:
            layers = {"reflectance": read_layer(predictions[date]),
                      "quality": read_layer(qualities[date]) if qualities else None,
                      "uncertainty": read_layer(uncertainties[date]) if uncertainties else None}
            for name, layer in layers.items():
                if layer is not None:
                    check_like(layer, first.setdefault("reflectance", layers["reflectance"]),
                               first.setdefault(name, layer))
            dataset = date_dataset(date, layers["reflectance"], layers["quality"], layers["uncertainty"])
            if date == dates[0]:
                dataset.to_zarr(tmp, mode="w", zarr_format=ZARR_FORMAT, consolidated=True,
                                encoding=encoding(layers["reflectance"], layers["quality"], tile,
                                                  bool(uncertainties)))
            else:
                dataset.to_zarr(tmp, append_dim="time", zarr_format=ZARR_FORMAT, consolidated=True)
