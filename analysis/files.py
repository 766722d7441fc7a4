"""Writing output files so that a reader never sees half of one, even if we are killed."""

from __future__ import annotations

from store.files import write_atomically

__all__ = ["write_atomically"]
