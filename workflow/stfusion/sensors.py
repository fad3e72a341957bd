"""Sensor registry: bands, spectral responses, pixel size, storage and QA of each sensor.

A sensor is defined by one YAML file of the package's registry ``data/sensors/`` or by an entry under the
config key ``sensors:`` (same schema, the package's ``schemas/sensor.schema.yaml``; a config entry replaces a
registry file of the same name). Spectral responses are either tabulated (a CSV in the package's ``data/srf/``) or
Gaussian from each band's centre and FWHM.
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import jsonschema
import numpy as np
import yaml

from .errors import ConfigError
from .packaged import SENSOR_DIR, SRF_DIR, schema_path
from .qa import QA_KINDS

SCHEMA_PATH = schema_path("sensor")

FWHM_TO_SIGMA = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))


@dataclass(frozen=True)
class Band:
    """One spectral band: product name, common label, centre wavelength and FWHM (nm)."""

    name: str
    label: str
    centre_nm: float
    fwhm_nm: float


@dataclass(frozen=True)
class Storage:
    """How a product stores reflectance: ``reflectance = DN * scale + offset``; ``nodata`` marks fill."""

    dtype: str
    scale: float
    offset: float
    nodata: float | None


@dataclass(frozen=True)
class Sensor:
    """A sensor definition as loaded from the registry or the config."""

    name: str
    title: str
    gsd_m: float
    kind: str
    bands: tuple[Band, ...]
    storage: Storage
    qa_kind: str
    srf_kind: str
    srf_table: Path | None
    value_range: tuple[float, float] | None = (0.0, 1.0)  # of the values once stored values are scaled; None: none
    platforms: tuple[str, ...] = ()  # the satellites whose products it reads, as platform_name spells them; () any

    @property
    def band_names(self) -> list[str]:
        """Band names in product order."""
        return [band.name for band in self.bands]

    def response(self, wavelengths_nm: np.ndarray) -> np.ndarray:
        """(n_bands, n_wavelengths) relative response sampled at the given wavelengths.

        Tabulated: linear interpolation of the table, zero outside it. Gaussian: from centre and
        FWHM, sigma = FWHM / (2 sqrt(2 ln 2)), peak 1. Not normalised.
        """
        wavelengths = np.asarray(wavelengths_nm, dtype=float)
        if self.srf_kind == "tabulated":
            grid, columns = _read_table(self.srf_table)
            return np.stack(
                [np.interp(wavelengths, grid, columns[name], left=0.0, right=0.0) for name in self.band_names]
            )
        centres = np.array([[band.centre_nm] for band in self.bands])
        sigmas = np.array([[band.fwhm_nm * FWHM_TO_SIGMA] for band in self.bands])
        return np.exp(-0.5 * ((wavelengths[None, :] - centres) / sigmas) ** 2)


def platform_name(text: str) -> str:
    """One spelling of a satellite, as STAC's ``platform`` writes it: LANDSAT_8, Landsat 8 -> landsat-8;
    Sentinel-2A, SENTINEL2A and the product names' S2A -> sentinel-2a; Terra, AQUA -> terra, aqua ("" stays "")."""
    name = re.sub(r"[\s_]+", "-", text.strip().lower())
    name = re.sub(r"^s2([a-d])$", r"sentinel-2\1", name)
    return re.sub(r"^(landsat|sentinel)-?(\d)", r"\1-\2", name)


def sensor_names() -> list[str]:
    """Names of the registry sensors (file stems in SENSOR_DIR), sorted."""
    return sorted(path.stem for path in SENSOR_DIR.glob("*.yaml"))


def load_sensor(name: str, defined: Mapping[str, Mapping] | None = None) -> Sensor:
    """The sensor ``name``: from the config's ``sensors:`` mapping ``defined`` if there, else the registry."""
    if defined and name in defined:
        if not isinstance(defined[name], Mapping):
            raise ConfigError(f"config key `sensors.{name}` must be a mapping with the keys of {SCHEMA_PATH}")
        given = dict(defined[name])
        if given.setdefault("name", name) != name:
            raise ConfigError(
                f"config key `sensors.{name}` has name {given['name']!r}: drop `name` or make it {name!r}"
            )
        return _build(given, source=None)
    definition, path = registry_definition(name, defined)
    if isinstance(definition, dict) and definition.get("name") != name:
        raise ConfigError(f"sensor file {path} has name {definition.get('name')!r}: set `name: {name}`")
    return _build(definition, source=path)


def registry_definition(name: str, defined: Mapping[str, Mapping] | None = None) -> tuple[Any, Path]:
    """The content of sensor ``name``'s registry file, and the file; a ConfigError naming every known sensor
    (the registry's and ``defined``'s) and how to define another when there is none."""
    path = SENSOR_DIR / f"{name}.yaml"
    if not path.is_file():
        known = sorted(set(sensor_names()) | set(defined or {}))
        raise ConfigError(
            f"unknown sensor {name!r}; known sensors: {', '.join(known)}. To use another sensor, define "
            f"it under the config key `sensors:` as `{name}: {{title, gsd_m, kind, storage, qa, srf, bands}}` "
            f"(schema: {SCHEMA_PATH})"
        )
    with path.open() as handle:
        return yaml.safe_load(handle), path


@functools.lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    """The sensor JSON schema, read once, with the QA kinds of ``qa.QA_KINDS`` as the enum of ``qa.kind``."""
    with SCHEMA_PATH.open() as handle:
        schema = yaml.safe_load(handle)
    schema["properties"]["qa"]["properties"]["kind"]["enum"] = list(QA_KINDS)
    return schema


def _location(source: Path | None, name: str, key: str = "") -> str:
    """Where a definition or one of its keys lives: a registry file, or the config key ``sensors.<name>``."""
    if source is not None:
        return f"sensor file {source}" + (f", key `{key}`" if key else "")
    return f"config key `sensors.{name}{'.' + key if key else ''}`"


def _build(definition: Any, source: Path | None) -> Sensor:
    """Validate one definition (from the file ``source``, or the config if None) and build the Sensor."""
    name = definition.get("name", "") if isinstance(definition, dict) else ""
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(_schema()).iter_errors(definition))
    if error is not None:
        key = ".".join(str(part) for part in error.absolute_path)
        raise ConfigError(f"{_location(source, name, key)}: {error.message} (schema: {SCHEMA_PATH})")
    bands = tuple(Band(b["name"], b["label"], float(b["centre_nm"]), float(b["fwhm_nm"])) for b in definition["bands"])
    for field in ("name", "label"):
        values = [getattr(band, field) for band in bands]
        repeated = sorted({value for value in values if values.count(value) > 1})
        if repeated:
            raise ConfigError(
                f"{_location(source, name, 'bands')}: band {field}s must be unique, repeated: {', '.join(repeated)}"
            )
    srf = definition["srf"]
    table = None
    if srf["kind"] == "tabulated":
        table = Path(srf["table"])
        table = table if table.is_absolute() else SRF_DIR / table
        if not table.is_file():
            raise ConfigError(
                f"{_location(source, name, 'srf.table')}: {table} does not exist: give an absolute path or one "
                f"relative to {SRF_DIR}, or use `srf: {{kind: gaussian}}`"
            )
        missing = [band.name for band in bands if band.name not in _read_table(table)[1]]
        if missing:
            raise ConfigError(
                f"{_location(source, name, 'srf.table')}: {table} has no column for bands {', '.join(missing)}"
            )
    value_range = definition.get("value_range", [0, 1])
    if value_range is not None and not value_range[0] < value_range[1]:
        raise ConfigError(
            f"{_location(source, name, 'value_range')}: {value_range} must be [low, high] with low < high, "
            "e.g. [0, 1] for reflectance, or null for a quantity without a range"
        )
    storage = definition["storage"]
    return Sensor(
        name=definition["name"],
        title=definition["title"],
        gsd_m=float(definition["gsd_m"]),
        kind=definition["kind"],
        bands=bands,
        storage=Storage(
            dtype=storage["dtype"],
            scale=float(storage["scale"]),
            offset=float(storage["offset"]),
            nodata=None if storage["nodata"] is None else float(storage["nodata"]),
        ),
        qa_kind=definition["qa"]["kind"],
        srf_kind=srf["kind"],
        srf_table=table,
        value_range=None if value_range is None else (float(value_range[0]), float(value_range[1])),
        platforms=tuple(platform_name(p) for p in definition.get("platforms", ())),
    )


@functools.lru_cache(maxsize=32)
def _read_table(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Wavelengths and {band: response} of an SRF CSV (``wavelength_nm`` then one column per band)."""
    with path.open() as handle:
        header = handle.readline().strip().split(",")
    if header[0] != "wavelength_nm":
        raise ConfigError(f"SRF table {path}: the first column must be `wavelength_nm`, found {header[0]!r}")
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    if np.any(np.diff(data[:, 0]) <= 0):
        raise ConfigError(f"SRF table {path}: `wavelength_nm` must increase strictly")
    return data[:, 0], {name: data[:, i] for i, name in enumerate(header[1:], start=1)}


def read_sensors(paths: list[str]) -> dict[str, Sensor]:
    """The sensors of definition files ``<sensor>.yaml`` (rule sensor_definition: a config entry or registry file)."""
    definitions = {Path(path).stem: yaml.safe_load(Path(path).read_text()) for path in paths}
    return {name: load_sensor(name, definitions) for name in definitions}
