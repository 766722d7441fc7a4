"""Writing output files so that a reader never sees half of one, even if we are killed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from store.errors import BadInput

__all__ = ["write_atomically"]


def write_atomically(text: str, path: Path) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it into place."""
    path = path.resolve()
    if path.is_dir():
        raise BadInput("is a directory; give a file name", file=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        # mkstemp makes the file private (0600); a report gets the usual permissions
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
