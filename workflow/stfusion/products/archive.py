"""The files of a product as it was downloaded: a folder, or a ``.zip`` / ``.tar`` read in place.

A :class:`Tree` lists the product's files by their path inside it, reads its small metadata files, and names
each file as GDAL opens it: a path in a folder, ``/vsizip/<archive>/<member>`` in a zip (a ``.SAFE.zip``) and
``/vsitar/<archive>/<member>`` in a tar (a Landsat Collection 2 ``.tar``; GDAL's virtual file systems, "GDAL
Virtual File Systems", https://gdal.org/user/virtual_file_systems.html). Nothing is unpacked.
"""
from __future__ import annotations

import fnmatch
import tarfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import InputDataError

ARCHIVES = {".zip": "/vsizip/", ".tar": "/vsitar/"}


def is_archive(path: Path) -> bool:
    """A ``.zip`` or an uncompressed ``.tar`` file (what GDAL reads in place without unpacking the rest)."""
    return path.suffix.lower() in ARCHIVES and not path.is_dir()


@dataclass(frozen=True)
class Tree:
    """The files of a product folder or archive, named by their path below ``prefix`` (POSIX separators)."""

    root: Path
    members: tuple[str, ...] = ()  # an archive's files; a folder is looked at when asked
    prefix: str = ""  # a folder inside the archive (``<name>.SAFE/``)

    @property
    def archive(self) -> bool:
        return is_archive(self.root)

    def within(self, folder: str) -> Tree:
        """The files under ``folder``."""
        if not self.archive:
            return Tree(self.root / folder)
        return replace(self, prefix=f"{self.prefix}{folder.strip('/')}/")

    def gdal(self, member: str) -> str:
        """What GDAL opens for ``member``."""
        if self.archive:
            return f"{ARCHIVES[self.root.suffix.lower()]}{self.root.resolve()}/{self.prefix}{member}"
        return str(self.root / member)

    def exists(self, member: str) -> bool:
        return self.prefix + member in self.members if self.archive else (self.root / member).is_file()

    def glob(self, pattern: str) -> list[str]:
        """Members matching ``pattern``, sorted; a pattern's ``*`` stays within one folder."""
        if not self.archive:
            return sorted(p.relative_to(self.root).as_posix() for p in self.root.glob(pattern) if p.is_file())
        inside = [m[len(self.prefix):] for m in self.members if m.startswith(self.prefix)]
        depth = pattern.count("/")
        return sorted(m for m in inside if m.count("/") == depth and fnmatch.fnmatchcase(m, pattern))

    def read_text(self, member: str) -> str:
        """A metadata file's text."""
        if not self.archive:
            return (self.root / member).read_text()
        if self.root.suffix.lower() == ".zip":
            with zipfile.ZipFile(self.root) as archive:
                return archive.read(self.prefix + member).decode()
        with tarfile.open(self.root) as archive:
            return archive.extractfile(self.prefix + member).read().decode()

    def __str__(self) -> str:
        return str(self.root / self.prefix) if self.archive else str(self.root)


def open_tree(path: Path) -> Tree:
    """A folder, or the members of a zip or tar (its table of contents only is read)."""
    if not is_archive(path):
        return Tree(path)
    try:
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.namelist() if not m.endswith("/")]
        else:
            with tarfile.open(path) as archive:
                members = [m.name for m in archive.getmembers() if m.isfile()]
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as err:
        raise InputDataError(
            f"product {path} cannot be listed ({err}): download it again (a .zip, or an uncompressed .tar), or "
            "unpack it and name the folder in the scene table"
        ) from err
    return Tree(path, tuple(sorted(members)))
