"""STAC Items as scenes: a local Item JSON, or one item of an ItemCollection named ``items.json#<item id>``.

Each sensor band is the asset whose band name (``eo:bands`` / STAC 1.1 ``bands``: ``name``, or the asset
key) is the band's (``SR_B4``, ``B04``, ``sur_refl_b01`` and ``B4`` all name band B4), else whose
``common_name`` is the band's label (``red``); GeoTIFFs are preferred over other copies of a band
(Earth Search lists ``red`` and ``red-jp2``). The QA layer is the asset ``qa_pixel`` (Landsat QA_PIXEL),
``scl`` (Sentinel-2 SCL) or ``state_1km`` / ``sur_refl_state_500m`` (MODIS). Storage comes from the raster
extension (``raster:bands`` ``scale``, ``offset``, ``nodata``) when the assets state it. Hrefs: relative
ones are resolved against the item file's folder, absolute ones are used as they are, remote ones go to
GDAL's virtual file systems (``/vsicurl/`` for http(s), ``/vsis3/``, ``/vsigs/``, ``/vsiaz/``) unchanged.
STAC specification 1.0/1.1, eo extension v1.1, raster extension v1.1 (https://github.com/stac-extensions).
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pystac

from ..errors import InputDataError
from ..sensors import Band, Sensor, Storage
from .base import Product

QA_ASSETS = {"qa_pixel": "landsat_qa_pixel", "scl": "sentinel2_scl", "state_1km": "modis_state",
             "sur_refl_state_500m": "modis_state"}
VSI = {"http": "/vsicurl/", "https": "/vsicurl/", "s3": "/vsis3/", "gs": "/vsigs/", "az": "/vsiaz/"}


def names_product(path: Path) -> bool:
    """A JSON file that is not a Landsat MTL."""
    return path.suffix == ".json"


def load_items(path: str | Path) -> list[pystac.Item]:
    """The items of an Item or ItemCollection file."""
    try:
        data = json.loads(Path(path).read_text())
        if data.get("type") == "FeatureCollection":
            return list(pystac.ItemCollection.from_dict(data, preserve_dict=False).items)
        return [pystac.Item.from_dict(data, preserve_dict=False)]
    except (OSError, ValueError, KeyError, AttributeError, pystac.STACError) as err:
        raise InputDataError(f"{path} is not a readable STAC Item or ItemCollection ({err!r}): fix the file") from err


def gdal_name(href: str, base: Path) -> str:
    """What GDAL opens for an asset href: remote schemes through /vsi..., relative paths against ``base``."""
    scheme = re.match(r"([a-z0-9]+)://", href)
    if scheme:
        prefix = VSI.get(scheme[1])
        if prefix is None:
            raise InputDataError(f"asset href {href}: scheme {scheme[1]}:// is not one GDAL reads ({', '.join(VSI)})")
        return prefix + (href if prefix == "/vsicurl/" else href[len(scheme[0]):])
    return href if Path(href).is_absolute() else os.path.normpath(base / href)


def _canonical(name: str) -> str:
    """SR_B4, B04, b4 -> B4; sur_refl_b01 -> B1; B8A -> B8A."""
    match = re.fullmatch(r"(?:SR_|SUR_REFL_)?B0*(\d+A?)", name.upper())
    return f"B{match[1]}" if match else name.upper()


def _band_info(asset: pystac.Asset) -> list[dict]:
    return asset.extra_fields.get("eo:bands") or asset.extra_fields.get("bands") or []


def _matches(key: str, asset: pystac.Asset, band: Band) -> bool:
    infos = _band_info(asset)
    names = [i.get("name", "") for i in infos] or [key]
    if any(_canonical(n) == _canonical(band.name) for n in names):
        return True
    commons = [i.get("common_name") or i.get("eo:common_name") for i in infos] or [key.lower()]
    return band.label in commons


def _asset(item: pystac.Item, band: Band, source: str, sensor: str) -> tuple[str, pystac.Asset]:
    found = [(k, a) for k, a in item.assets.items() if _matches(k, a, band) and len(_band_info(a)) <= 1]
    geotiff = [(k, a) for k, a in found if "tiff" in (a.media_type or "")]
    found = geotiff or found
    if len(found) != 1:
        listed = ", ".join(k for k, _ in found) if found else "none"
        raise InputDataError(
            f"STAC item {item.id} in {source}: {len(found)} assets match band {band.name} ({band.label}) of sensor "
            f"{sensor} ({listed}); its assets are {', '.join(item.assets)}: give the item one asset for the band "
            "(eo:bands name or common_name), or define a sensor with the bands it has under the config key `sensors:`"
        )
    return found[0]


def _storage(item: pystac.Item, assets: list[pystac.Asset], source: str) -> Storage | None:
    """The raster extension's scale/offset/nodata of the band assets (None if none states them); one for all."""
    stated = set()
    for asset in assets:
        raster = (asset.extra_fields.get("raster:bands") or [{}])[0]
        if "scale" in raster or "offset" in raster:
            stated.add((raster.get("data_type", ""), raster.get("scale", 1.0), raster.get("offset", 0.0), raster.get("nodata")))
    if not stated:
        return None
    if len(stated) > 1:
        raise InputDataError(
            f"STAC item {item.id} in {source}: its band assets state different raster:bands scale/offset/nodata "
            f"{sorted(stated, key=str)}: one scene takes one storage; define one sensor per storage under the config key `sensors:`"
        )
    dtype, scale, offset, nodata = stated.pop()
    return Storage(dtype=dtype, scale=float(scale), offset=float(offset), nodata=None if nodata is None else float(nodata))


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
    assets = [_asset(item, band, file, sensor.name) for band in sensor.bands]
    qa_key = next((k for k in QA_ASSETS if k in item.assets), None)
    if qa_key is None and sensor.qa_kind != "none":
        raise InputDataError(
            f"STAC item {item.id} in {file} has no QA asset ({', '.join(QA_ASSETS)}; its assets are "
            f"{', '.join(item.assets)}): add the product's QA layer to the item under one of these keys"
        )
    return Product(
        path=path, family="stac", bands=tuple(gdal_name(a.href, base) for _, a in assets),
        qa=gdal_name(item.assets[qa_key].href, base) if qa_key else "", qa_kind=QA_ASSETS.get(qa_key),
        storage=_storage(item, [a for _, a in assets], file), metadata_file=file,
    )
