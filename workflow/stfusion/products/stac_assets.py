"""Which asset of a STAC item holds each band of a sensor, and which holds its QA layer.

An asset names its band in its ``eo:bands`` (STAC 1.1: ``bands``) entry, ``name`` and ``common_name``
(``eo:common_name``), else by its key; in STAC 1.0.0-beta.2 the entry is an index into the item's
``eo:bands``. Catalogues spell one band in many ways (Landsat 8 band 5: ``B5``, ``SR_B5``, ``OLI_B5``,
``nir08``; Landsat 8 band 10: ``ST_B10``, ``TIRS_B10``, ``lwir11``; Sentinel-2 band 5: ``B05``, ``B05_20m``, ``rededge1``), and one word means different bands for
different sensors (``nir08``: Landsat 8 B5, Sentinel-2 B8A), so the words come from a table per sensor
(``data/stac/band_aliases.yaml``). A band is looked for in three tiers, the first that finds an asset decides:
its band code in a name or key (``SR_B5``, ``sur_refl_b05``, ``B05_20m``), an alias word as a name or key, an
alias word as a common name (so the Planetary Computer's ``rededge``, common to B5, B6, B7 and B8A, never
decides). Of several matches the finest resolution wins (asset ``gsd``, eo:bands ``gsd``, raster
``spatial_resolution``, a ``_20m`` key suffix: CDSE's ``B01_20m`` over ``B01_60m``), then a GeoTIFF over another
copy (Earth Search's ``red`` over ``red-jp2``). The QA asset is found by key in the same file's ``qa`` table.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import pystac
import yaml

from ..errors import InputDataError
from ..packaged import PACKAGE
from ..qa import QA_KINDS
from ..sensors import Band, Sensor

ALIASES = PACKAGE / "data" / "stac" / "band_aliases.yaml"
CODE = re.compile(r"(?:SR_|ST_|OLI_|TIRS_|ETM_|TM_|SUR_REFL_)?B0*(\d+A?)(?:_1)?")


@dataclass(frozen=True)
class Candidate:
    """One single-band asset of an item, with the words that may name its band."""

    key: str
    asset: pystac.Asset
    names: tuple[str, ...]  # eo:bands names, else the asset key; normalised (see ``_word``)
    commons: tuple[str, ...]
    resolution: float | None


@functools.lru_cache(maxsize=1)
def _table() -> dict:
    return yaml.safe_load(ALIASES.read_text())


def _word(text: str) -> str:
    """Lower case, without a file extension, a ``_20m`` resolution suffix or a MODIS ``_1`` layer suffix."""
    word = re.sub(r"\.(tif|tiff|jp2)$", "", str(text).lower())
    return re.sub(r"(_\d+m|_1)$", "", word)


def _code(word: str) -> str | None:
    """``sr_b5``, ``oli_b5``, ``b05``, ``sur_refl_b05`` -> ``B5``; ``tirs_b10`` -> ``B10``; ``b8a`` -> ``B8A``; None for other words."""
    match = CODE.fullmatch(word.upper())
    return f"B{match[1]}" if match else None


def band_infos(item: pystac.Item, asset: pystac.Asset) -> list[dict]:
    """The asset's eo:bands / bands entries; STAC 1.0.0-beta.2 indices resolved against the item's eo:bands."""
    listed = item.properties.get("eo:bands") or []
    infos = []
    for entry in asset.extra_fields.get("eo:bands") or asset.extra_fields.get("bands") or []:
        if isinstance(entry, int) and 0 <= entry < len(listed):
            entry = listed[entry]
        if isinstance(entry, dict):
            infos.append(entry)
    return infos


def _resolution(key: str, asset: pystac.Asset, infos: list[dict]) -> float | None:
    fields = asset.extra_fields
    raster = (fields.get("raster:bands") or [{}])[0]
    stated = [fields.get("gsd"), infos[0].get("gsd") if infos else None, raster.get("spatial_resolution")]
    number = next((float(v) for v in stated if isinstance(v, (int, float)) and not isinstance(v, bool)), None)
    suffix = re.search(r"_(\d+)m$", key)
    return number if number is not None else (float(suffix[1]) if suffix else None)


def candidates(item: pystac.Item) -> list[Candidate]:
    """The item's single-band assets (a true-colour ``visual`` asset lists three bands and is left out)."""
    found = []
    for key, asset in item.assets.items():
        infos = band_infos(item, asset)
        if len(infos) > 1:
            continue
        names = tuple(_word(i["name"]) for i in infos if i.get("name")) or (_word(key),)
        commons = tuple(_word(c) for i in infos for c in (i.get("common_name"), i.get("eo:common_name")) if c)
        found.append(Candidate(key, asset, names, commons, _resolution(key, asset, infos)))
    return found


def _tiers(band: Band, sensor: str, found: list[Candidate]) -> list[Candidate]:
    words = {_word(w) for w in _table()["bands"].get(sensor, {}).get(band.name, [])} | {_word(band.label)}
    for matches in (lambda c: any(_code(n) == band.name.upper() for n in c.names),
                    lambda c: bool(words & set(c.names)),
                    lambda c: bool(words & set(c.commons))):
        chosen = [c for c in found if matches(c)]
        if chosen:
            return chosen
    return []


def finest(found: list[Candidate]) -> list[Candidate]:
    """The matches at the finest stated resolution, GeoTIFFs first (all of them if a resolution is unknown)."""
    if len(found) > 1 and all(c.resolution is not None for c in found):
        best = min(c.resolution for c in found)
        found = [c for c in found if c.resolution == best]
    tiffs = [c for c in found if "tiff" in (c.asset.media_type or "")]
    return tiffs if len(found) > 1 and tiffs else found


def band_assets(item: pystac.Item, sensor: Sensor, source: str) -> list[Candidate]:
    """The asset of each of the sensor's bands, in the sensor's band order."""
    found = candidates(item)
    chosen = []
    for band in sensor.bands:
        matches = finest(_tiers(band, sensor.name, found))
        if len(matches) != 1:
            listed = ", ".join(c.key for c in matches) if matches else "none"
            raise InputDataError(
                f"STAC item {item.id} in {source}: {len(matches)} assets match band {band.name} ({band.label}) of sensor "
                f"{sensor.name} ({listed}); its assets are {', '.join(item.assets)}: give the item one asset for the band "
                f"(eo:bands name or common_name, or a word of {ALIASES} for {sensor.name}), or define a sensor with the "
                "bands it has under the config key `sensors:`"
            )
        chosen.append(matches[0])
    keys = [c.key for c in chosen]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise InputDataError(
            f"STAC item {item.id} in {source}: asset {', '.join(twice)} matches more than one band of sensor "
            f"{sensor.name} ({', '.join(f'{b.name}={k}' for b, k in zip(sensor.bands, keys))}): give each band its own "
            "asset with its band's eo:bands name"
        )
    return chosen


def _qa_kind(key: str) -> str | None:
    """The QA kind of an asset key (``SCL_20m``, ``sur_refl_state_500m``, ``QA_PIXEL.TIF``), None if not a QA key."""
    kinds = _table()["qa"]
    plain = re.sub(r"\.(tif|tiff|jp2)$", "", key.lower())
    return kinds.get(plain) or kinds.get(_word(key))


def qa_asset(item: pystac.Item, source: str) -> tuple[Candidate, str] | None:
    """The item's QA asset (finest of its copies) and its QA kind, or None if it has none."""
    found = [(c, _qa_kind(c.key)) for c in candidates(item)]
    found = [(c, kind) for c, kind in found if kind]
    if not found:
        return None
    kind = found[0][1]
    best = finest([c for c, k in found if k == kind])
    if len(best) != 1 or len({k for _, k in found}) != 1:
        raise InputDataError(
            f"STAC item {item.id} in {source} has several QA assets ({', '.join(c.key for c, _ in found)}) and no finest "
            "one: keep one QA asset in the item"
        )
    if kind not in QA_KINDS:
        raise InputDataError(
            f"STAC item {item.id} in {source}: its QA asset {best[0].key} is encoded as {kind}, which stfusion does not "
            f"decode (it decodes {', '.join(k for k in QA_KINDS if k not in ('mask', 'none'))}): add its decoding to "
            "stfusion/qa.py (QA_KINDS and decode_qa)"
        )
    return best[0], kind


def qa_keys() -> list[str]:
    """The asset keys taken as QA layers."""
    return list(_table()["qa"])
