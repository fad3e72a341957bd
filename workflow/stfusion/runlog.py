"""Logging for rule scripts: to the rule's ``log:`` file and to the terminal."""
from __future__ import annotations

import logging
import sys


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
