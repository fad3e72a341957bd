"""Logging for rule scripts: to the rule's ``log:`` file and to the terminal, with progress of long loops."""
from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def log_to(path: str) -> logging.Logger:
    """Send INFO messages and Python warnings to ``path`` and to stderr; return the stfusion logger."""
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S")
    handlers: list[logging.Handler] = [logging.FileHandler(path, mode="w"), logging.StreamHandler(sys.stderr)]
    for handler in handlers:
        handler.setFormatter(fmt)
    logging.basicConfig(level=logging.INFO, handlers=handlers, force=True)
    logging.captureWarnings(True)
    logger = logging.getLogger("stfusion")
    # An error that ends the script goes to the log file too, where Snakemake tells the user to look.
    sys.excepthook = lambda kind, value, tb: logger.error("%s: %s", kind.__name__, value, exc_info=(kind, value, tb))
    return logger


def progress(items: Iterable[T], what: str) -> Iterator[T]:
    """Yield each item and then log ``<what> i/n (p %), about <t> left`` (the time left from the mean so far):
    the progress of tiles, blocks and iterations, in the terminal and the job's log file."""
    items = list(items)
    logger, start = logging.getLogger("stfusion"), time.perf_counter()
    for i, item in enumerate(items, 1):
        yield item
        left = (time.perf_counter() - start) / i * (len(items) - i)
        logger.info("%s %d/%d (%.0f %%), about %s left", what, i, len(items), 100 * i / len(items), duration(left))


def duration(seconds: float) -> str:
    """``42 s``, ``3 min 05 s`` or ``2 h 07 min``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
