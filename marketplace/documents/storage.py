"""Content-addressed file storage under `DOCUMENTS_DIR`: a file lives at `ab/cd/<sha256>` (the first two byte
pairs of its digest as folders), so the same content is stored once and no path ever comes from a file name.

A file is written to a temporary file in its final folder and renamed into place (atomic on one file
system): a reader never sees half a file, and two writers of the same content both end with the whole file.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from flask import current_app

_DIGEST = re.compile(r"[0-9a-f]{64}")


def root() -> Path:
    return Path(current_app.config["DOCUMENTS_DIR"])


def path_of(sha256: str) -> Path:
    """Where the content with this digest lives (the digest is checked: it is the only part of the path)."""
    if not _DIGEST.fullmatch(sha256 or ""):
        raise ValueError("not a SHA-256 hex digest")
    return root() / sha256[:2] / sha256[2:4] / sha256


def store(content: bytes, sha256: str) -> Path:
    """Write `content` under its digest unless it is there already; return its path."""
    target = path_of(sha256)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o640)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def existing(sha256: str) -> Path | None:
    """The stored file with this digest, or None when it is missing from disk."""
    target = path_of(sha256)
    return target if target.is_file() else None
