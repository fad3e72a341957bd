"""Checks of a validated config that a JSON schema cannot express, and the objects it defines.

Run at DAG build time (``workflow/rules/common.smk``), so a wrong key fails before any job runs.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import jsonschema
import numpy as np
import yaml

from .classical import check_options
from .errors import ConfigError, StfusionError
from .grid import SiteGrid, build_site_grid
from .ensemble.members import FAMILY as ENSEMBLE
from .ensemble.members import check_members, is_ensemble
from .methods import FUSION, REGISTRIES, Method, fusion_method, of_family
from .packaged import schema_defaults
from .qa import QA_KINDS
from .sensors import Sensor, load_sensor
from .simulate import srf_coverage

MIN_SRF_COVERAGE = 0.9  # of each fine / MS band's SRF inside the HS sensor's range (spectral observation model)


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
        key=f"sites.{site}",
    )


def site_methods(config: Mapping, site: str) -> list[str]:
    """The fusion methods run at a site: ``sites.<site>.methods``, else every method if it has a fusion pair."""
    spec = config["sites"][site]
    if not spec.get("fusion"):
        return []
    return list(spec.get("methods", config.get("methods", {})))


def site_deep_methods(config: Mapping, site: str) -> list[str]:
    """The site's methods that train a network (family ``deep``): they cut patches and need training groups."""
    return [name for name in site_methods(config, site) if fusion_method(config, name).family == "deep"]


def with_method_names(schema: dict) -> dict:
    """The schema with the method registry's names (stfusion.methods) as the enums of the keys that name a method,
    and its reference counts as rules: a method registered there is a valid config value without a schema edit."""
    properties = schema["properties"]
    for section in ("methods", "sts_methods"):
        properties[section]["additionalProperties"]["properties"]["model"]["enum"] = list(REGISTRIES[section])
    properties["methods"]["additionalProperties"]["allOf"] = [reference_rule(name, method)
                                                              for name, method in FUSION.items() if method.references != (1, 2)]
    spectral = properties["sites"]["additionalProperties"]["properties"]["spectral"]["properties"]["methods"]
    spectral["items"]["enum"] = list(REGISTRIES["spectral"])
    return schema


def with_registered_names(schema: dict) -> dict:
    """The schema with every name the code defines as the enum of the keys that name one: the methods'
    (``with_method_names``) and the QA kinds of ``qa.QA_KINDS`` (the sensor schema gets them in ``sensors``), so
    neither is listed by hand in a schema."""
    properties = with_method_names(schema)["properties"]
    properties["sites"]["additionalProperties"]["properties"]["qa"]["additionalProperties"]["enum"] = list(QA_KINDS)
    return schema


def reference_rule(name: str, method: Method) -> dict:
    """The schema rule of a fusion model that takes only some reference counts (ESTARFM two, FSDAF one): both
    counts must be among them, and ``references`` must be given when its default (2) is not."""
    counts = " or ".join(map(str, method.references))
    allowed = {"enum": list(method.references), "description": f"{name} takes {counts} reference pair(s); write {counts}"}
    rule = {"properties": {"references": allowed, "predict_references": allowed}}
    return {"if": {"properties": {"model": {"const": name}}},
            "then": rule if 2 in method.references else {**rule, "required": ["references"]}}


def check_schema(config: Mapping, schema_path: str | Path) -> None:
    """Validate against the JSON schema with a one-line message naming the config key.

    Snakemake's own ``validate`` (which also fills defaults) prints the whole schema on failure;
    this check runs first so the user reads which key is wrong and what it must be.
    """
    schema = with_registered_names(yaml.safe_load(Path(schema_path).read_text()))
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(config))
    if error is not None:
        key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        hint = error.schema.get("description", "") if error.absolute_path else ""
        if error.validator == "pattern" and hint:  # the key's description says more than its regular expression
            message = f"{error.instance!r} is not a value it takes: write {hint}"
        else:
            message = error.message + (f" ({hint})" if hint else "")
        raise ConfigError(f"config key `{key}`: {message}; see {schema_path}")


def check_config(config: Mapping) -> None:
    """Cross-key checks: sensors exist, fusion roles fit the ratios, the patches fit the site, classical methods get
    only their published parameters and naive baselines and ensembles none, only ensembles have members and those
    are two or more other methods of each of their sites (stfusion.ensemble.members), simulate entries name real
    things."""
    for name, method in config.get("methods", {}).items():
        family = FUSION[method["model"]].family
        if family == "classical":
            check_options(name, method["model"], method.get("options", {}))
        elif family in ("naive", ENSEMBLE) and method.get("options"):
            kind = "a naive baseline" if family == "naive" else "an ensemble of other methods"
            raise ConfigError(f"methods.{name}.options: {method['model']} is {kind} and takes no options "
                              f"(it would ignore {sorted(method['options'])}): remove them")
        if family != ENSEMBLE and "members" in method:
            raise ConfigError(f"methods.{name}.members: {method['model']} is not an ensemble (models "
                              f"{', '.join(of_family(FUSION, ENSEMBLE))}) and would ignore them: remove them, or set "
                              f"methods.{name}.model to one of those")
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
        for method in site_methods(config, site):
            if is_ensemble(config["methods"], method):
                check_members(config["methods"], method, site, site_methods(config, site))
        _check_sts(config, site)
        _check_spectral(config, site)
        if spec.get("band_mapping") and not fusion:
            raise ConfigError(f"{key}.band_mapping needs {key}.fusion (fine and coarse sensors) to apply to")
        for table in ("storage", "qa"):
            for name in spec.get(table, {}):
                if name not in sensors:
                    raise ConfigError(f"{key}.{table}.{name} names a sensor that is not in {key}.sensors")
        _check_patch_size(config, site, site_grid(config, site))
    for i, sim in enumerate(config.get("simulate", [])):
        key = f"simulate[{i}]"
        if sim["site"] not in config["sites"]:
            raise ConfigError(f"{key}.site {sim['site']!r} is not a site of the config (sites: {', '.join(config['sites'])})")
        if sim["source"] not in config["sites"][sim["site"]]["sensors"]:
            raise ConfigError(f"{key}.source {sim['source']!r} is not a sensor of site {sim['site']}")
        load_sensor(sim["target"], config.get("sensors"))


def _check_patch_size(config: Mapping, site: str, grid: SiteGrid) -> None:
    """The deep methods of a site train on square patches of ``patches.size`` pixels of the coarse grid
    (stfusion.patches), so the site's coarse grid must hold one."""
    deep = site_deep_methods(config, site)
    if not deep:
        return
    size = {**schema_defaults("config", "patches"), **config.get("patches", {})}["size"]
    coarse = config["sites"][site]["fusion"]["coarse"]
    rows, cols = grid.shape(grid.ratio(coarse))
    if size > min(rows, cols):
        raise ConfigError(
            f"`patches.size` is {size} coarse pixels, larger than site {site}'s coarse grid ({coarse}: {rows} x {cols} "
            f"pixels from `sites.{site}.bounds`), in which the training patches of {', '.join(deep)} are cut: set "
            f"`patches.size` to {min(rows, cols)} or less, or enlarge `sites.{site}.bounds`")


def _check_sts(config: Mapping, site: str) -> None:
    """``sites.<site>.sts``: its sensors exist (and, for observed series, are the site's at whole ratios to
    the fine sensor), the HS bands cover the fine and MS sensors' SRFs, a simulation has its truth and nested
    dates, its methods are keys of ``sts_methods``."""
    spec = config["sites"][site].get("sts")
    if not spec:
        return
    key = f"sites.{site}.sts"
    sensors = {}
    for role in ("hs_sensor", "fine_sensor", "ms_sensor"):
        try:
            sensors[role] = load_sensor(spec[role], config.get("sensors"))
        except StfusionError as err:
            raise ConfigError(f"{key}.{role}: {err}") from None
    if spec.get("protocol", "observed") == "simulated":
        missing = [name for name in ("truth", "dates", "fine_dates", "hs_dates") if name not in spec]
        if missing:
            raise ConfigError(f"{key}.protocol is `simulated`, which needs {', '.join(f'{key}.{m}' for m in missing)}")
        for dates in ("fine_dates", "hs_dates"):
            extra = sorted(set(spec[dates]) - set(spec["dates"]))
            if extra:
                raise ConfigError(f"{key}.{dates} has dates that are not in {key}.dates: {', '.join(extra)}")
    else:
        _check_observed_sensors(config, site, spec, key)
    centres = np.array([band.centre_nm for band in sensors["hs_sensor"].bands])
    for role in ("fine_sensor", "ms_sensor"):
        coverage = srf_coverage(centres, sensors[role])
        outside = [f"{b} ({c:.0%})" for b, c in zip(sensors[role].band_names, coverage) if c < MIN_SRF_COVERAGE]
        if outside:
            raise ConfigError(
                f"{key}.hs_sensor ({spec['hs_sensor']}, {centres.min():.0f}-{centres.max():.0f} nm) does not cover "
                f"{key}.{role} ({spec[role]}): bands {', '.join(outside)} lie mostly outside its range (share of "
                f"each SRF inside, at least {MIN_SRF_COVERAGE:.0%} needed): the observation model could not "
                f"simulate them; define {spec[role]} without those bands under `sensors:`")
    for method in spec["methods"]:
        if method not in config.get("sts_methods", {}):
            raise ConfigError(f"{key}.methods names {method!r}, which is not a key of `sts_methods` "
                              f"({', '.join(config.get('sts_methods', {})) or 'none defined'})")


def _check_observed_sensors(config: Mapping, site: str, spec: Mapping, key: str) -> None:
    """Observed series: the three sensors are the site's, the MS and HS ratios whole multiples of the fine one's."""
    if "dates" in spec or "fine_dates" in spec or "hs_dates" in spec:
        raise ConfigError(f"{key}: `dates`, `fine_dates` and `hs_dates` belong to the simulation protocol; observed "
                          f"series take their dates from the kept scenes (remove them, or set {key}.protocol: simulated)")
    ratios = config["sites"][site]["sensors"]
    for role in ("hs_sensor", "fine_sensor", "ms_sensor"):
        if spec[role] not in ratios:
            raise ConfigError(f"{key}.{role} is {spec[role]!r}, which is not one of sites.{site}.sensors "
                              f"({', '.join(ratios)}): add it there with its ratio, or fix the name")
    fine = ratios[spec["fine_sensor"]]
    for role in ("ms_sensor", "hs_sensor"):
        if ratios[spec[role]] % fine or ratios[spec[role]] <= fine:
            raise ConfigError(f"sites.{site}.sensors: the ratio of {key}.{role} ({spec[role]}: {ratios[spec[role]]}) "
                              f"must be a whole multiple (2 or more) of the fine sensor's ({spec['fine_sensor']}: {fine}), "
                              "so every MS and HS pixel covers whole fine pixels")


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
