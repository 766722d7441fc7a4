"""The storage contract (store.contract) on every adapter: Delta Lake and in-memory."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from store import EventLog, MemoryEventLog
from store.contract import EventLogContract


class TestDeltaLog(EventLogContract):
    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path: Path) -> None:
        self.folder = tmp_path

    def make_log(self) -> EventLog:
        return EventLog.open(Path(tempfile.mkdtemp(dir=self.folder)) / "store", create=True)


class TestMemoryLog(EventLogContract):
    def make_log(self) -> MemoryEventLog:
        return MemoryEventLog()
