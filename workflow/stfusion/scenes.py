"""The scene table: one row per raw scene, checked before the DAG is built."""
from __future__ import annotations

import datetime as dt
import errno
import io
import os
import re
import stat
from pathlib import Path
from typing import Mapping

import pandas as pd

from .config import site_deep_methods
from .errors import ConfigError, InputDataError
from .packaged import schema_defaults
from .pairing import training_groups
from .products import product_family

COLUMNS = ["site", "sensor", "date", "path", "qa"]
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
IS_A_DIRECTORY = "is a directory"
# What a directory in a row is told: the things each column may name instead (stfusion.products).
DIRECTORY_FIX = {
    "path": "that holds no product the pipeline reads: a row's path is a raster file, a product folder (Landsat "
            "Collection 2 Level-2 with its _MTL file, Sentinel-2 L2A .SAFE or a folder of its band files, a folder of "
            "MODIS AppEEARS layers), a product's metadata file, or a STAC item (items.json#<item id>): fix the path",
    "qa": "but a row's qa is one raster file (a QA band or a 0/1 mask), or empty for the product's own QA or none: "
          "fix the path",
}


def file_problem(path: Path) -> str | None:
    """Why ``path`` is not a readable file, in words that follow its name (``IS_A_DIRECTORY`` for a folder), or
    None for a file: a symbolic link loop or a link to nothing is said as such, not as a file that does not exist."""
    try:
        mode = path.stat().st_mode
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "leads into a symbolic link loop (following the links comes back to where they start)"
        if path.is_symlink():
            return f"is a symbolic link to {os.readlink(path)}, which does not exist"
        if err.errno in (errno.ENOENT, errno.ENOTDIR):
            return "does not exist"
        return f"cannot be read ({err.strerror})"
    return IS_A_DIRECTORY if stat.S_ISDIR(mode) else None


def check_tabs(lines: list[str], path: str | Path) -> None:
    """Every row of the table holds a tab: a row whose columns are separated by spaces is one column to pandas,
    which would then be reported as an unknown site."""
    for number, line in enumerate(lines, start=1):
        if line.strip() and not line.startswith("#") and "\t" not in line:
            spaces = " (its columns are separated by spaces)" if " " in line.strip() else ""
            raise ConfigError(f"scene table {path} line {number} has no tab{spaces}: the table is tab-separated: "
                              "separate site, sensor, date, path and qa by one tab each")


def read_scene_table(path: str | Path) -> pd.DataFrame:
    """Read the TSV as strings; a missing ``qa`` column or cell becomes ''. Lines starting with ``#`` are comments
    (only whole lines: a path may name one item of a STAC ItemCollection as ``items.json#<item id>``)."""
    problem = file_problem(Path(path))
    if problem == IS_A_DIRECTORY:
        raise ConfigError(f"scene table {path} (config key `scenes`) is a directory: `scenes` names the TSV file "
                          "itself (site, sensor, date, path and qa columns): fix the key")
    if problem:
        raise ConfigError(f"scene table {path} (config key `scenes`) {problem}: create it or fix the key")
    lines = Path(path).read_text().splitlines(keepends=True)
    check_tabs(lines, path)
    lines = [line for line in lines if not line.startswith("#")]
    table = pd.read_csv(io.StringIO("".join(lines)), sep="\t", dtype=str).fillna("")
    if "qa" not in table.columns:
        table["qa"] = ""
    missing = [c for c in COLUMNS if c not in table.columns]
    unknown = [c for c in table.columns if c not in COLUMNS]
    if missing or unknown:
        raise ConfigError(
            f"scene table {path} has columns {list(table.columns)}: it needs the tab-separated columns "
            f"{', '.join(COLUMNS)} (qa optional); missing {missing}, unknown {unknown}"
        )
    return table


def check_scene_table(table: pd.DataFrame, config: Mapping, table_path: str, generated_dir: str | None = None) -> None:
    """Sites, sensors, dates, duplicates and file existence, each error naming the table row.

    Files under ``generated_dir`` are made by a rule (the demo) and need not exist yet.
    """
    sites = config["sites"]
    for i, row in enumerate(table.itertuples(index=False), start=2):
        where = f"{table_path} line {i}"
        if row.site not in sites:
            raise ConfigError(f"{where}: site {row.site!r} is not in the config's `sites` ({', '.join(sites)}): add it or fix the row")
        if row.sensor not in sites[row.site]["sensors"]:
            raise ConfigError(
                f"{where}: sensor {row.sensor!r} is not one of `sites.{row.site}.sensors` "
                f"({', '.join(sites[row.site]['sensors'])}): add it there with its ratio, or fix the row"
            )
        try:
            if not DATE.fullmatch(row.date):
                raise ValueError
            dt.date.fromisoformat(row.date)
        except ValueError:
            raise ConfigError(f"{where}: date {row.date!r} is not a calendar date in YYYY-MM-DD form: fix the row") from None
        for column, what in (("path", "raster or product"), ("qa", "QA")):
            value = getattr(row, column)
            if not value or (generated_dir is not None and Path(value).is_relative_to(generated_dir)):
                continue
            local = Path(value.partition("#")[0]) if column == "path" else Path(value)  # items.json#<item id>
            problem = file_problem(local)
            if problem == IS_A_DIRECTORY and not (column == "path" and product_family(local)):
                raise ConfigError(f"{where}: {what} {value} is a directory {DIRECTORY_FIX[column]}")
            if problem and problem != IS_A_DIRECTORY:
                raise ConfigError(f"{where}: {what} file {value} {problem}: fix the path or remove the row")
    # a site whose only work is spectral super-resolution (`spectral:`, no `fusion`) names its own two rasters
    scene_free = {site for site, spec in sites.items() if spec.get("spectral") and not spec.get("fusion")}
    empty = sorted(set(sites) - set(table.site) - scene_free)
    if empty:
        raise ConfigError(f"sites {empty} have no rows in the scene table {table_path}: add their scenes or remove them from `sites`")
    duplicated = table[table.duplicated(["site", "sensor", "date"], keep=False)]
    if not duplicated.empty:
        lines = ", ".join(str(i + 2) for i in duplicated.index)
        first = duplicated.iloc[0]
        raise ConfigError(
            f"{table_path} lines {lines}: more than one scene for site {first.site}, sensor {first.sensor}, "
            f"date {first.date}: keep one row per site, sensor and date"
        )


STS_ROLES = {"fine": "fine_sensor", "ms": "ms_sensor", "hs": "hs_sensor"}
# References on two dates; Peng, Li, Zhou and Li, "A Long-time-series Spatio-Temporal-Spectral Fusion Method via
# Multi-task Learning": any series of 3 dates or more.
STS_MIN_DATES = {"fine": 2, "ms": 3, "hs": 2}


def check_series_dates(dates: Mapping[str, list], key: str, source: str, what: str = "scene(s)") -> None:
    """Enough dates in each series of a spatio-temporal-spectral site (``dates``: role -> dates), or an error
    naming the sensor's key (``key``: ``sites.<site>.sts``) and where the dates come from (``source``)."""
    for role, sensor_key in STS_ROLES.items():
        if len(set(dates[role])) < STS_MIN_DATES[role]:
            raise InputDataError(
                f"{key}.{sensor_key}: {len(set(dates[role]))} {what} in {source}, fewer than the "
                f"{STS_MIN_DATES[role]} spatio-temporal-spectral fusion needs: add clear scenes of that sensor to the "
                "scene table (or relax the `quality` thresholds that dropped them)")


def check_sts_scenes(config: Mapping, table: pd.DataFrame, table_path: str) -> None:
    """Every site with observed spatio-temporal-spectral series has enough scenes of its three sensors."""
    for site, spec in config["sites"].items():
        sts = spec.get("sts")
        if not sts or sts.get("protocol", "observed") == "simulated":
            continue
        rows = table[table.site == site]
        dates = {role: list(rows[rows.sensor == sts[sensor_key]].date) for role, sensor_key in STS_ROLES.items()}
        check_series_dates(dates, f"sites.{site}.sts", table_path)


def table_pair_dates(table: pd.DataFrame, config: Mapping, site: str) -> list[str]:
    """Dates on which the scene table has both the fine and the coarse scene of the site's fusion pair: the most
    pairs the quality filter can keep (stfusion.pairing.pair_dates)."""
    fusion, rows = config["sites"][site]["fusion"], table[table.site == site]
    return sorted(set(rows[rows.sensor == fusion["fine"]].date) & set(rows[rows.sensor == fusion["coarse"]].date))


def check_reference_counts(config: Mapping, table: pd.DataFrame, table_path: str) -> None:
    """Every deep method has training groups of its reference count (``methods.<name>.references``) at each of its
    sites among the pairs the scene table gives. The quality filter only drops pairs, so a count the table cannot
    give would otherwise fail in the site's patches job, after all the preprocessing (``pairing.require_groups``)."""
    window = {**schema_defaults("config", "pairing"), **config.get("pairing", {})}["window_days"]
    for site, spec in config["sites"].items():
        deep = site_deep_methods(config, site)
        pairs = table_pair_dates(table, config, site) if deep else []
        for name in deep:
            count = config["methods"][name]["references"]
            if training_groups(pairs, window, count):
                continue
            need = (f"a pair within {window} days (`pairing.window_days`) before and after a third pair"
                    if count == 2 else f"two pairs within {window} days (`pairing.window_days`) of each other")
            fixes = [f"add fine+coarse pairs to {table_path}"]
            if count == 2 and training_groups(pairs, window, 1):
                fixes.append(f"set `methods.{name}.references: 1`")
            if len(pairs) > count:
                fixes.append("widen `pairing.window_days`")
            advice = fixes[0] if len(fixes) == 1 else f"{', '.join(fixes[:-1])} or {fixes[-1]}"
            raise ConfigError(
                f"`methods.{name}.references` is {count}, but the scene table {table_path} gives site {site} no "
                f"training group of {count} reference pair(s), which needs {need}: its pairs (a {spec['fusion']['fine']} "
                f"and a {spec['fusion']['coarse']} scene of the same date) are on {len(pairs)} date(s)"
                f"{' (' + ', '.join(pairs) + ')' if pairs else ''}: {advice} (the quality filter may "
                "drop more pairs when the run starts)")
