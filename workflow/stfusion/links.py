"""A file of a group folder exposed under its per-date name (issue 28): rule predict writes every date of a reference
group into one folder, and rule link_prediction gives each date its path of before, ``predictions/{method}/{date}.tif``,
which everything downstream reads.

The per-date file is a hard link (no copy, no second disk use), a copy where the file system refuses one (another
device, or no hard links); made under a temporary name and renamed, so it is never seen half-made. Its modification
time is then set to now: Snakemake dates a folder output by the ``.snakemake_timestamp`` it writes when the job ends,
after the files inside, so a link that kept its file's time would look older than its input and run again each time.
"""
from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from .errors import InputDataError
from .integrity import rerun_hint
from .io import atomic_path

# the errors of link(2) that mean "no hard link here" rather than a missing or unreadable source
NO_LINK = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP}


def expose(source: str | Path, target: str | Path) -> None:
    """``target`` becomes a hard link to ``source`` (a copy where links are refused), dated now; ``source``, in a
    folder rule predict writes, must exist."""
    folder = Path(source).parent
    if not Path(source).is_file():
        raise InputDataError(f"{source} is missing from its folder {folder} (deleted since rule predict wrote it): "
                             f"{rerun_hint(folder, 'predict')}")
    with atomic_path(target) as tmp:
        tmp.unlink()
        try:
            os.link(source, tmp)
        except OSError as error:
            if error.errno not in NO_LINK:
                raise
            shutil.copyfile(source, tmp)
    os.utime(target)
