"""``stfusion-scenes``: a scene table from STAC ItemCollections, one row per item.

The sensor is given (``--sensor``) or found from the item's ``platform`` (STAC common metadata: e.g.
``landsat-8``, ``LANDSAT_9``, ``sentinel-2a``, ``terra``); the date is the item's ``datetime`` (or its
``start_datetime``) in UTC; the path is ``<collection file>#<item id>``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

import pandas as pd

from ..errors import StfusionError
from ..io import write_text
from ..scenes import COLUMNS
from ..sensors import load_sensor, sensor_names
from .stac import load_items, platform

def item_sensor(item, sensor: str | None, source: str) -> str:
    if sensor:
        return sensor
    named, readers = platform(item), platform_sensors()
    if named not in readers:
        raise StfusionError(
            f"item {item.id} in {source}: platform {named or '(none)'} is not one of {', '.join(readers)}: "
            "give the sensor with --sensor"
        )
    return readers[named]


def platform_sensors() -> dict[str, str]:
    """Each satellite of the registry's sensors (their ``platforms``) -> the first sensor, by name, that reads it
    (``landsat-8``: landsat8_oli, not the thermal landsat8_tirs)."""
    readers: dict[str, str] = {}
    for name in sensor_names():
        for satellite in load_sensor(name).platforms:
            readers.setdefault(satellite, name)
    return readers


def scene_rows(collections: Sequence[str], site: str, sensor: str | None = None) -> pd.DataFrame:
    """One row per item of every collection, sorted by sensor and date; duplicates (site, sensor, date) refused."""
    rows = []
    for source in collections:
        for item in load_items(source):
            when = item.datetime or item.common_metadata.start_datetime
            rows.append({"site": site, "sensor": item_sensor(item, sensor, source),
                         "date": when.date().isoformat(), "path": f"{source}#{item.id}", "qa": ""})
    table = pd.DataFrame(rows, columns=COLUMNS).sort_values(["sensor", "date"], kind="stable")
    repeated = table[table.duplicated(["sensor", "date"], keep=False)]
    if not repeated.empty:
        raise StfusionError(
            f"items {', '.join(repeated.path)} are scenes of one sensor on one date: the scene table takes one per "
            "site, sensor and date; remove the others from the collection (or mosaic them into one product)"
        )
    return table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stfusion-scenes", description=__doc__.splitlines()[0])
    parser.add_argument("collections", nargs="+", help="STAC ItemCollection (or Item) JSON files")
    parser.add_argument("--site", required=True, help="the site of every row (a key of the config's `sites`)")
    parser.add_argument("--sensor", help="the sensor of every row (default: from each item's platform)")
    parser.add_argument("-o", "--output", help="the TSV to write (default: standard output)")
    args = parser.parse_args(argv)
    try:
        text = scene_rows(args.collections, args.site, args.sensor).to_csv(sep="\t", index=False)
    except StfusionError as err:
        print(f"stfusion-scenes: {err}", file=sys.stderr)
        return 1
    if args.output:
        write_text(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return 0
