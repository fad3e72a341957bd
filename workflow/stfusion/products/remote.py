"""Asset hrefs as GDAL opens them, and the check, when the DAG is built, that a remote one can be reached.

Relative hrefs are resolved against the item file's folder, absolute ones are used as they are, remote ones go to
GDAL's virtual file systems (``/vsicurl/`` for http(s), ``/vsis3/``, ``/vsigs/``, ``/vsiaz/``) unchanged. Of a
remote http(s) href only what costs no download is checked: that its host name resolves, and that a Planetary
Computer blob (``*.blob.core.windows.net`` of an item from planetarycomputer.microsoft.com) carries a SAS token,
without which Azure refuses every read (https://planetarycomputer.microsoft.com/docs/concepts/sas/).
"""
from __future__ import annotations

import functools
import os
import re
import socket
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import InputDataError

VSI = {"http": "/vsicurl/", "https": "/vsicurl/", "s3": "/vsis3/", "gs": "/vsigs/", "az": "/vsiaz/"}
SIGN = ("sign the item (Planetary Computer: SAS token, planetary-computer's sign) or download the assets first "
        "(`planetary_computer.sign(item)` signs an item before it is saved; downloaded assets are named by local hrefs)")


def gdal_name(href: str, base: Path) -> str:
    """What GDAL opens for an asset href: remote schemes through /vsi..., relative paths against ``base``."""
    scheme = re.match(r"([a-z0-9]+)://", href)
    if scheme:
        prefix = VSI.get(scheme[1])
        if prefix is None:
            raise InputDataError(f"asset href {href}: scheme {scheme[1]}:// is not one GDAL reads ({', '.join(VSI)})")
        return prefix + (href if prefix == "/vsicurl/" else href[len(scheme[0]):])
    return href if Path(href).is_absolute() else os.path.normpath(base / href)


@functools.lru_cache(maxsize=None)
def resolve(host: str) -> str:
    """'' if ``host`` resolves, else why not (a DNS look-up: no connection is made)."""
    try:
        socket.getaddrinfo(host, 443)
    except OSError as err:
        return str(err)
    return ""


def check_reachable(href: str, where: str, from_planetary_computer: bool) -> None:
    """Refuse an http(s) href whose host does not resolve, or an unsigned Planetary Computer blob; ``where`` names
    the asset (item, file) in the error."""
    parts = urlsplit(href)
    if parts.scheme not in ("http", "https"):
        return
    host = parts.hostname or ""
    if from_planetary_computer and host.endswith(".blob.core.windows.net") and "sig=" not in parts.query:
        raise InputDataError(f"{where}: {href} is an unsigned Planetary Computer href, which Azure refuses: {SIGN}")
    why = resolve(host)
    if why:
        raise InputDataError(f"{where}: {href}: host {host} could not be reached: {SIGN} (name look-up: {why})")
