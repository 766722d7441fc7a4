"""Writing files so that a reader never sees half of one, even if the writer is killed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from store.errors import BadInput

__all__ = ["write_atomically"]


def write_atomically(data: str | bytes, path: Path) -> None:
    """Write ``data`` (text as UTF-8) to a temporary file beside ``path`` and rename it into
    place."""
    path = path.resolve()
    if path.is_dir():
        raise BadInput("is a directory; give a file name", file=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        # mkstemp makes the file private (0600); an output file gets the usual permissions
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
