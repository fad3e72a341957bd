"""The members of an ensemble method at a site (``methods.<name>.members``), and the checks at DAG build that its
config names a combination that can be fitted and scored honestly. Imports nothing heavy: the Snakemake main
process runs it while it builds the DAG."""
from __future__ import annotations

from typing import Collection, Mapping, Sequence

from ..errors import ConfigError
from ..methods import FUSION
from .stacking import MIN_FITTING_DATES

FAMILY = "ensemble"


def is_ensemble(methods: Mapping[str, Mapping], name: str) -> bool:
    """Whether the config method ``name`` (a key of ``methods``) is of the ensemble family (``ensemble``, ``best``)."""
    return FUSION[methods[name]["model"]].family == FAMILY


def ensemble_members(methods: Mapping[str, Mapping], name: str, site_methods: Sequence[str]) -> list[str]:
    """The members of the ensemble ``name`` at a site running ``site_methods``: ``methods.<name>.members``, by default
    every method of the site that is not itself an ensemble."""
    default = [method for method in site_methods if not is_ensemble(methods, method)]
    return list(methods[name].get("members", default))


def check_members(methods: Mapping[str, Mapping], name: str, site: str, site_methods: Sequence[str]) -> None:
    """ConfigError naming the key and the fix when the ensemble ``name`` at ``site`` has a member that is not one of
    the site's methods or is an ensemble itself, or fewer than two members (nothing to combine or choose from)."""
    key = f"methods.{name}.members"
    members = ensemble_members(methods, name, site_methods)
    for member in members:
        if member not in site_methods:
            where = (f"`sites.{site}.methods` ({', '.join(site_methods)})" if member in methods
                     else f"`methods` ({', '.join(methods)})")
            raise ConfigError(f"{key} names {member!r}, which is not a method of site {site} (not in {where}): "
                              f"add it there, or remove it from {key}")
        if is_ensemble(methods, member):
            raise ConfigError(f"{key} names {member!r}, which is itself an ensemble (model "
                              f"{methods[member]['model']}) whose weights are fitted on the same dates, so no date would be "
                              f"held out from the combined fit: list the fusion methods themselves in {key}")
    if len(members) < 2:
        given = f"{key} lists" if "members" in methods[name] else f"site {site} has, as {key} by default,"
        raise ConfigError(f"{given} {len(members)} method(s) ({', '.join(members) or 'none'}): an ensemble combines or "
                          f"chooses among two or more: list two or more of the site's fusion methods in {key}, or "
                          f"use the one method itself and remove {name} from the config")


def check_fitting_dates(name: str, site: str, held_out: Mapping[str, Collection[str]]) -> list[str]:
    """The dates every member holds out (``held_out``: member -> its held-out dates, ``evaluation.target_role``),
    sorted, on which the ensemble ``name`` is fitted and scored leave-one-date-out at ``site``; ConfigError when
    they are fewer than ``MIN_FITTING_DATES``: with one, its weights would be fitted on the very date they are scored
    on (no honest score), and with none there is nothing to fit."""
    dates = sorted(set.intersection(*map(set, held_out.values())))
    if len(dates) < MIN_FITTING_DATES:
        raise ConfigError(
            f"methods.{name}: at site {site} its members ({', '.join(held_out)}) hold out {len(dates)} common date(s) "
            f"({', '.join(dates) or 'none'}), and its weights are fitted and scored leave-one-date-out on those, which "
            f"needs {MIN_FITTING_DATES} or more: add fine+coarse pairs to the scene table, leave out of "
            f"methods.{name}.members the deep methods whose training and validation targets take those dates, or "
            f"remove {name} from sites.{site}.methods")
    return dates
