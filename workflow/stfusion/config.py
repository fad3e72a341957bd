"""Checks of a validated config that a JSON schema cannot express, and the objects it defines.

Run at DAG build time (``workflow/rules/common.smk``), so a wrong key fails before any job runs.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import jsonschema
import yaml

from .errors import ConfigError, StfusionError
from .grid import SiteGrid, build_site_grid
from .sensors import Sensor, load_sensor


def site_sensors(config: Mapping, site: str) -> dict[str, Sensor]:
    """The sensors of a site, loaded from the registry or the config's ``sensors:``."""
    return {name: load_sensor(name, config.get("sensors")) for name in config["sites"][site]["sensors"]}


def site_grid(config: Mapping, site: str) -> SiteGrid:
    """The site's grid, from its ``bounds``, ``pixel_size``, ``epsg``, ``anchor`` and sensor ratios."""
    spec = config["sites"][site]
    return build_site_grid(
        bounds=spec["bounds"],
        pixel_size=spec["pixel_size"],
        ratios=spec["sensors"],
        bounds_crs=spec.get("bounds_crs", "EPSG:4326"),
        epsg=spec.get("epsg"),
        anchor=spec.get("anchor", (0.0, 0.0)),
    )


def site_methods(config: Mapping, site: str) -> list[str]:
    """The fusion methods run at a site: ``sites.<site>.methods``, else every method if it has a fusion pair."""
    spec = config["sites"][site]
    if not spec.get("fusion"):
        return []
    return list(spec.get("methods", config.get("methods", {})))


def check_schema(config: Mapping, schema_path: str | Path) -> None:
    """Validate against the JSON schema with a one-line message naming the config key.

    Snakemake's own ``validate`` (which also fills defaults) prints the whole schema on failure;
    this check runs first so the user reads which key is wrong and what it must be.
    """
    schema = yaml.safe_load(Path(schema_path).read_text())
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(config))
    if error is not None:
        key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        hint = error.schema.get("description", "") if error.absolute_path else ""
        raise ConfigError(f"config key `{key}`: {error.message}" + (f" ({hint})" if hint else "") + f"; see {schema_path}")


def check_config(config: Mapping) -> None:
    """Cross-key checks: sensors exist, fusion roles fit the ratios, simulate entries name real things."""
    for site, spec in config["sites"].items():
        key = f"sites.{site}"
        try:
            sensors = site_sensors(config, site)
        except StfusionError as err:
            raise ConfigError(f"{key}.sensors: {err}") from None
        fusion = spec.get("fusion")
        if fusion:
            for role in ("fine", "coarse"):
                if fusion[role] not in sensors:
                    raise ConfigError(
                        f"{key}.fusion.{role} is {fusion[role]!r}, which is not one of {key}.sensors "
                        f"({', '.join(sensors)}): add it there or fix the name"
                    )
            if spec["sensors"][fusion["fine"]] != 1:
                raise ConfigError(f"{key}.fusion.fine ({fusion['fine']}) must have ratio 1 in {key}.sensors")
        for method in spec.get("methods", []):
            if method not in config.get("methods", {}):
                raise ConfigError(f"{key}.methods names {method!r}, which is not a key of `methods` ({', '.join(config.get('methods', {}))})")
        _check_sts(config, site)
        _check_spectral(config, site)
        if spec.get("band_mapping") and not fusion:
            raise ConfigError(f"{key}.band_mapping needs {key}.fusion (fine and coarse sensors) to apply to")
        for table in ("storage", "qa"):
            for name in spec.get(table, {}):
                if name not in sensors:
                    raise ConfigError(f"{key}.{table}.{name} names a sensor that is not in {key}.sensors")
        site_grid(config, site)
    for i, sim in enumerate(config.get("simulate", [])):
        key = f"simulate[{i}]"
        if sim["site"] not in config["sites"]:
            raise ConfigError(f"{key}.site {sim['site']!r} is not a site of the config (sites: {', '.join(config['sites'])})")
        if sim["source"] not in config["sites"][sim["site"]]["sensors"]:
            raise ConfigError(f"{key}.source {sim['source']!r} is not a sensor of site {sim['site']}")
        load_sensor(sim["target"], config.get("sensors"))


def _check_sts(config: Mapping, site: str) -> None:
    """``sites.<site>.sts``: its sensors exist, its dates nest, its methods are keys of ``sts_methods``."""
    spec = config["sites"][site].get("sts")
    if not spec:
        return
    key = f"sites.{site}.sts"
    for role in ("hs_sensor", "fine_sensor", "ms_sensor"):
        try:
            load_sensor(spec[role], config.get("sensors"))
        except StfusionError as err:
            raise ConfigError(f"{key}.{role}: {err}") from None
    for dates in ("fine_dates", "hs_dates"):
        extra = sorted(set(spec[dates]) - set(spec["dates"]))
        if extra:
            raise ConfigError(f"{key}.{dates} has dates that are not in {key}.dates: {', '.join(extra)}")
    for method in spec["methods"]:
        if method not in config.get("sts_methods", {}):
            raise ConfigError(f"{key}.methods names {method!r}, which is not a key of `sts_methods` "
                              f"({', '.join(config.get('sts_methods', {})) or 'none defined'})")


def _check_spectral(config: Mapping, site: str) -> None:
    """``sites.<site>.spectral``: its two sensors exist (band names are checked against them in the job)."""
    spec = config["sites"][site].get("spectral")
    if not spec:
        return
    for role in ("hs_sensor", "ms_sensor"):
        try:
            load_sensor(spec[role], config.get("sensors"))
        except StfusionError as err:
            raise ConfigError(f"sites.{site}.spectral.{role}: {err}") from None
