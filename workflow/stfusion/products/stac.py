"""STAC Items as scenes: a local Item JSON, or one item of an ItemCollection named ``items.json#<item id>``.

Read as the major catalogues write them: the Planetary Computer (landsat-c2-l2, sentinel-2-l2a, modis-09A1-061,
hls2-l30/s30, which serve NASA's HLS v2.0 items), Earth Search v0 and v1 (sentinel-2-l2a, landsat-c2-l2), the
Copernicus Data Space (STAC 1.1, raster extension v2), USGS landsatlook (STAC 1.0 and 1.0.0-beta.2) and
stactools-hls. Which asset holds each band and the QA layer: :mod:`.stac_assets`; the storage the item states:
:mod:`.stac_scaling`; the hrefs: :mod:`.remote`; HLS granules are checked against the row's sensor as HLS folders
are (:mod:`.hls`). The acquisition period is the item's ``start_datetime``/``end_datetime`` (a composite, e.g.
MOD09A1's 8 days) or its ``datetime``, as UTC days; the platform is ``platform`` (``eo:platform`` in beta.2), lower
case with ``-`` for ``_`` and spaces.
STAC specification 1.0/1.1, eo extension v1.1/v2.0, raster extension v1.1/v2.0 (https://github.com/stac-extensions).
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import pystac

from ..errors import InputDataError
from ..sensors import Sensor, platform_name
from . import hls
from .base import Product
from .remote import check_reachable, gdal_name
from .stac_assets import band_assets, qa_asset, qa_keys
from .stac_scaling import item_storage


def names_product(path: Path) -> bool:
    """A JSON file that is not a Landsat MTL."""
    return path.suffix == ".json"


def load_items(path: str | Path) -> list[pystac.Item]:
    """The items of an Item or ItemCollection file."""
    try:
        data = json.loads(Path(path).read_text())
        with warnings.catch_warnings():  # pystac's storage extension v1 -> v2 migration, which local hrefs defeat
            warnings.filterwarnings("ignore", "Could not parse bucket/account from href", UserWarning)
            if data.get("type") == "FeatureCollection":
                return list(pystac.ItemCollection.from_dict(data, preserve_dict=False).items)
            return [pystac.Item.from_dict(data, preserve_dict=False)]
    except (OSError, ValueError, KeyError, AttributeError, TypeError, pystac.STACError) as err:
        raise InputDataError(f"{path} is not a readable STAC Item or ItemCollection ({err!r}): fix the file") from err


def platform(item: pystac.Item) -> str:
    """``LANDSAT_8`` -> ``landsat-8``, ``Sentinel-2B`` -> ``sentinel-2b``; '' when the item names none."""
    return platform_name(str(item.properties.get("platform") or item.properties.get("eo:platform") or ""))


def acquired(item: pystac.Item) -> tuple[str, str]:
    """First and last UTC day of the item's observation; () when it states neither a period nor a datetime."""
    start, end = item.common_metadata.start_datetime, item.common_metadata.end_datetime
    if start and end:
        return start.date().isoformat(), end.date().isoformat()
    if item.datetime:
        return item.datetime.date().isoformat(), item.datetime.date().isoformat()
    return ()


def _from_planetary_computer(item: pystac.Item) -> bool:
    """Whether the item's links point at the Planetary Computer's STAC API (targets as written: none is resolved)."""
    return any(isinstance(link.target, str) and "planetarycomputer.microsoft.com" in link.target for link in item.links)


def read(path: str, sensor: Sensor) -> Product:
    """The assets of the sensor's bands and the QA asset of the item that ``path`` names."""
    file, _, item_id = path.partition("#")
    items = load_items(file)
    chosen = [i for i in items if i.id == item_id] if item_id else items
    if len(chosen) != 1:
        raise InputDataError(
            f"{file} holds items {', '.join(i.id for i in items) or 'none'}: name one as {file}#<item id> in the "
            f"scene table ({'no item ' + item_id if item_id else 'more than one item'}); stfusion-scenes writes such rows"
        )
    item, base = chosen[0], Path(file).parent
    hls_product = hls.product_of(item.id)
    if hls_product:
        hls.check_sensor(f"STAC item {item.id} in {file}", hls_product, sensor)
    bands = band_assets(item, sensor, file)
    qa = qa_asset(item, file)
    if qa is None and sensor.qa_kind != "none":
        raise InputDataError(
            f"STAC item {item.id} in {file} has no QA asset ({', '.join(qa_keys())}, any case; its assets are "
            f"{', '.join(item.assets)}): add the product's QA layer to the item under one of these keys"
        )
    remote_check = _from_planetary_computer(item)
    for candidate in [*bands, *([qa[0]] if qa else [])]:
        check_reachable(candidate.asset.href, f"asset {candidate.key} of STAC item {item.id} in {file}", remote_check)
    return Product(
        path=path, family="stac", bands=tuple(gdal_name(c.asset.href, base) for c in bands),
        qa=gdal_name(qa[0].asset.href, base) if qa else "", qa_kind=qa[1] if qa else None,
        storage=item_storage(item, [c.asset for c in bands], file), metadata_file=file,
        acquired=acquired(item), platform=platform(item),
    )
