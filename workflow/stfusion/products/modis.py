"""MODIS surface reflectance as per-band GeoTIFF exports (the ``.hdf`` granules: :mod:`.modis_hdf`).

AppEEARS names each layer ``<product>.<version>_<layer>_doy<YYYYDDD>_aid<NNNN>.tif``, e.g.
``MOD09GA.061_sur_refl_b01_1_doy2021120_aid0001.tif`` ... ``_b07_1_``, ``MOD09GA.061_state_1km_1_...``
(AppEEARS user guide, "Output file names"); MOD09A1 layers are ``sur_refl_b01`` ... and
``sur_refl_state_500m``. The scene table names any one layer file (or a folder holding one date's
layers): the other layers are the files whose names differ only in the layer. Storage is not in the
file names: the sensor's applies (MOD09 user's guide: int16, scale 0.0001, fill -28672), with the
file's own nodata if set.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputDataError
from ..sensors import Sensor
from .base import Product, doy_period, missing_file
from .modis_hdf import PERIOD_DAYS, PLATFORMS

LAYER = re.compile(r"(?P<stem>.*?)_?(?P<layer>sur_refl_b\d\d(_1)?|state_1km(_1)?|sur_refl_state_500m)(?P<rest>.*)\.tiff?$")
QA_LAYERS = ("state_1km", "sur_refl_state_500m")
NAME = re.compile(r"(?P<sat>M[OY]D)09(?P<kind>GA|A1)\..*_doy(?P<year>\d{4})(?P<doy>\d{3})")


def names_product(path: Path) -> bool:
    """A per-band export layer, or a folder of them."""
    if LAYER.fullmatch(path.name):
        return True
    return path.is_dir() and any(LAYER.fullmatch(p.name) for p in path.iterdir())


def _layers(path: Path) -> tuple[Path, dict[str, Path]]:
    """The folder, and {layer without the ``_1`` suffix: file} of the export that ``path`` names."""
    if path.is_dir():
        groups = {}
        for file in sorted(path.iterdir()):
            match = LAYER.fullmatch(file.name)
            if match:
                groups.setdefault((match["stem"], match["rest"]), file)
        if len(groups) != 1:
            raise InputDataError(
                f"MODIS export folder {path} holds layers of {len(groups)} scenes: name one layer file of the "
                "scene (e.g. its sur_refl_b01 file) in the scene table instead of the folder"
            )
        path = next(iter(groups.values()))
    key = LAYER.fullmatch(path.name)
    layers = {}
    for file in path.parent.iterdir():
        match = LAYER.fullmatch(file.name)
        if match and (match["stem"], match["rest"]) == (key["stem"], key["rest"]):
            layers[match["layer"].removesuffix("_1")] = file
    return path.parent, layers


def read(path: str, sensor: Sensor) -> Product:
    """The layers ``sur_refl_b<nn>`` of the sensor's bands ``B<n>`` and the state layer as QA."""
    folder, layers = _layers(Path(path))
    bands = []
    for band in sensor.bands:
        layer = f"sur_refl_b{int(band.name.removeprefix('B')):02d}"
        if layer not in layers:
            raise missing_file(path, f"layer {layer} for band {band.name} of sensor {sensor.name}",
                               folder / f"..._{layer}_1_....tif",
                               "export every layer sur_refl_b01 ... b07 of the scene, beside the one named")
        bands.append(str(layers[layer]))
    qa = next((str(layers[q]) for q in QA_LAYERS if q in layers), "")
    if not qa:
        raise missing_file(path, "state layer (state_1km or sur_refl_state_500m)", folder / "..._state_1km_1_....tif",
                           "export the state_1km layer with the reflectance layers")
    name = NAME.match(Path(bands[0]).name)
    acquired = doy_period(name["year"], name["doy"], PERIOD_DAYS[name["kind"]]) if name else ()
    return Product(path=path, family="modis_export", bands=tuple(bands), qa=qa, qa_kind="modis_state",
                   acquired=acquired, platform=PLATFORMS[name["sat"]] if name else "")
