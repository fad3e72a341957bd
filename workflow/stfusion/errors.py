"""Errors that tell the user what was wrong, where (file or config key) and how to fix it."""


class StfusionError(Exception):
    """Base class: every message names the file or config key and the fix."""


class ConfigError(StfusionError):
    """A config key, scene-table row or sensor definition is wrong."""


class InputDataError(StfusionError):
    """A raster or QA file cannot be used as it is (missing, unreadable, wrong CRS, bands...)."""
