"""An index directory that a rebuild replaces in one atomic step (no search library involved).

``path`` is a symlink to the live build, a ``.<name>-xxxx`` directory next to it. A rebuild writes a
complete index into a new build directory, then points the symlink at it with one ``rename``: readers
see the old index or the new one, never neither. Where symlinks are unavailable, directories are
swapped by two renames instead (a reader may then briefly find no index, and rebuilds it).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
import uuid
from itertools import chain
from pathlib import Path

log = logging.getLogger(__name__)

STALE_BUILD_SECONDS = 3600  # leftovers of crashed rebuilds older than this are removed


class IndexDirectory:
    """The directory at ``path``, holding only files whose names match ``own_files``."""

    def __init__(self, path: str | Path, own_files: re.Pattern):
        self.path = Path(path).absolute()
        self.own_files = own_files

    def key(self) -> tuple[int, int]:
        """Identifies the live build: changes when a rebuild swaps one in. Raises OSError when missing."""
        stat = os.stat(self.path)  # follows the symlink, so a rebuild changes the inode
        return (stat.st_dev, stat.st_ino)

    def new_build(self) -> Path:
        """An empty directory, next to ``path``, for a rebuild to fill."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.check_replaceable()
        return Path(tempfile.mkdtemp(prefix=f".{self.path.name}-", dir=self.path.parent))

    def discard(self, build_dir: Path) -> None:
        shutil.rmtree(build_dir, ignore_errors=True)

    def check_replaceable(self) -> None:
        """Refuse to replace a directory holding anything but an index: a rebuild deletes what it
        replaces (say, the index pointed at the instance folder by mistake)."""
        if self.path.is_dir() and not self.path.is_symlink():
            foreign = [p.name for p in self.path.iterdir() if not self.own_files.match(p.name)]
            if foreign:
                raise ValueError(f"{self.path} holds files that are not a search index ({foreign[:3]}); "
                                 "point the index at a directory of its own")

    def swap_in(self, build_dir: Path) -> None:
        """Make ``build_dir`` the live index and delete the one it replaces."""
        path = self.path
        self.check_replaceable()
        old_target = Path(os.path.realpath(path)) if path.is_symlink() else None
        link = path.parent / f".{path.name}.link-{uuid.uuid4().hex}"
        try:
            os.symlink(build_dir.name, link, target_is_directory=True)
        except OSError:
            log.warning("symlinks unavailable; swapping %s by renames", path, exc_info=True)
            self._swap_by_renames(build_dir)
            return
        try:
            if path.is_dir() and not path.is_symlink():
                # A plain index directory (not made by a rebuild): move it aside once; later swaps
                # are atomic.
                aside = path.parent / f".{path.name}-old-{uuid.uuid4().hex}"
                os.rename(path, aside)
                os.replace(link, path)
                shutil.rmtree(aside, ignore_errors=True)
            else:
                os.replace(link, path)  # atomic: readers see the old index or the new one, never neither
        except BaseException:
            link.unlink(missing_ok=True)
            raise
        if old_target is not None and old_target != build_dir and old_target.parent == path.parent:
            shutil.rmtree(old_target, ignore_errors=True)

    def _swap_by_renames(self, build_dir: Path) -> None:
        aside = self.path.parent / f".{self.path.name}-old-{uuid.uuid4().hex}"
        had_old = self.path.exists() or self.path.is_symlink()
        if had_old:
            os.rename(self.path, aside)
        os.rename(build_dir, self.path)
        if had_old:
            if aside.is_symlink():
                aside.unlink()
            else:
                shutil.rmtree(aside, ignore_errors=True)

    def remove_stale_builds(self, keep: Path) -> None:
        """Delete builds and links that crashed rebuilds left behind (only old ones: another process
        may be building right now)."""
        cutoff = time.time() - STALE_BUILD_SECONDS
        name = self.path.name
        for candidate in chain(self.path.parent.glob(f".{name}-*"), self.path.parent.glob(f".{name}.link-*")):
            try:
                if candidate == keep or candidate.lstat().st_mtime >= cutoff:
                    continue
                if candidate.is_symlink():
                    candidate.unlink()
                elif candidate.is_dir():
                    shutil.rmtree(candidate, ignore_errors=True)
            except OSError:
                continue
