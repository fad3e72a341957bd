"""Where a run writes: the config's ``results`` folder, checked before any job is planned.

Snakemake deletes a job's old outputs before it runs the job and writes wherever the rules say, so a ``results``
folder that is, contains or lies inside a folder the user owns would overwrite or delete their files (with
``results: resources`` a sensor definition once replaced the registry file it was read from). The folder is
refused when it is the filesystem root; when it is, contains or lies inside one of the project's own folders
(``config``, ``resources``, ``workflow``, ``tests``, ``docs``, ``bench`` beside the Snakefile), or is or contains
the project folder itself; and when it is or contains a folder that holds the run's inputs (the scene table and
every scene and QA file it names). A folder of its own inside the project or beside the inputs, as the default
``results``, is the usual layout and passes.

A folder that already holds files must also be one a run of stfusion made: the first run that writes there leaves
the marker file ``.stfusion-results`` (``claim_results_folder``, called when jobs start, never by a dry run), and a
folder that holds files but no marker (someone else's outputs, a download folder, a home folder) is refused, since
the run would overwrite any of its files that share a name with one of the run's outputs.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from . import __version__
from .errors import ConfigError
from .io import write_text

MARKER = ".stfusion-results"
PROJECT_FOLDERS = ("config", "resources", "workflow", "tests", "docs", "bench")


def input_folders(scene_table: str | Path, paths: Iterable[str]) -> list[Path]:
    """The folders holding the scene table and each local file it names (``items.json#id``: the JSON file; a
    remote href, ``https://`` or ``s3://``, has no local folder)."""
    files = [Path(scene_table)] + [Path(path.split("#")[0]) for path in paths if path and "://" not in path]
    return sorted({file.parent for file in files})


def check_results_folder(results: str, project: Path, inputs: Iterable[Path]) -> None:
    """Refuse ``results`` (relative to the working directory) where writing could overwrite or delete what the user
    owns (see the module docstring); ``project``: the folder of the Snakefile; ``inputs``: ``input_folders``."""
    target = Path(results).resolve()
    fix = "set `results` to a new folder of its own, e.g. `results: results` (the default)"
    if target == Path(target.anchor):
        raise ConfigError(f"config key `results: {results}` is the filesystem root: the run would write its files "
                          f"there; {fix}")
    project = project.resolve()
    for folder, what, inside in [
        (project, "the project folder", False),
        *((project / name, f"the project's `{name}/`", True) for name in PROJECT_FOLDERS),
        *((folder.resolve(), "a folder of the run's inputs", False) for folder in inputs),
    ]:
        if target == folder or target in folder.parents or (inside and folder in target.parents):
            relation = "is" if target == folder else "contains" if target in folder.parents else "lies inside"
            raise ConfigError(f"config key `results: {results}` ({target}) {relation} {what} ({folder}): the run "
                              f"would overwrite or delete files there; {fix}")
    if target.is_dir() and not (target / MARKER).is_file() and any(target.iterdir()):
        raise ConfigError(f"config key `results: {results}` ({target}) holds files that no run of stfusion wrote (it "
                          f"has no {MARKER} file): the run would overwrite those that share a name with its outputs; "
                          f"{fix}, or, if the folder holds an earlier stfusion run of this project, adopt it with "
                          f"`touch {target / MARKER}`")


def claim_results_folder(results: str) -> None:
    """Mark ``results`` as a folder this project's runs write (see the module docstring); kept when it exists."""
    marker = Path(results) / MARKER
    if not marker.is_file():
        write_text(marker, json.dumps({"written_by": f"stfusion {__version__}",
                                       "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}) + "\n")
