"""tapecheck's event store: an append-only, bitemporal log of market facts on Delta Lake.

The public surface is small: build events (typed payloads or frame builders), append them to
a log, and read the log back (every event, one fact's history, a version's data files). The
facts known at a cut are folded from the log by :mod:`analysis.tape`.

>>> import datetime as dt
>>> from store import MemoryEventLog, Observation, batch
>>> log = MemoryEventLog()
>>> t = dt.datetime(2025, 9, 18, 4, tzinfo=dt.UTC)
>>> obs = Observation("FRED:DFEDTARU", "demo", "2025-09-18", 4.25, "percent", t, "doc")
>>> log.append(batch([obs])).added
1
>>> log.append(batch([obs])).added
0
>>> log.events().get_column("value").to_list()
[4.25]
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from store.errors import (
        BadInput,
        ConcurrencyExhausted,
        NotAStore,
        StoreMissing,
        TapecheckError,
    )
    from store.events import (
        EVENT_SCHEMA,
        AnalystCall,
        EventType,
        Observation,
        PriceBar,
        Retraction,
        batch,
        call_stream,
        observations_frame,
        price_bars_frame,
    )
    from store.fsck import FsckReport, fsck
    from store.log import AppendResult, EventLog, Snapshot
    from store.memory import MemoryEventLog

# Names are imported on first use (PEP 562): ``from store.errors import ...`` in the CLI must
# not pull in Polars, Delta Lake and pyarrow just to print ``--help``.
_HOME = {
    **dict.fromkeys(
        ("BadInput", "ConcurrencyExhausted", "NotAStore", "StoreMissing", "TapecheckError"),
        "store.errors",
    ),
    **dict.fromkeys(
        (
            "EVENT_SCHEMA",
            "AnalystCall",
            "EventType",
            "Observation",
            "PriceBar",
            "Retraction",
            "batch",
            "call_stream",
            "observations_frame",
            "price_bars_frame",
        ),
        "store.events",
    ),
    **dict.fromkeys(("FsckReport", "fsck"), "store.fsck"),
    **dict.fromkeys(("AppendResult", "EventLog", "Snapshot"), "store.log"),
    "MemoryEventLog": "store.memory",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        value = getattr(importlib.import_module(_HOME[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'store' has no attribute {name!r}")


__all__ = [
    "EVENT_SCHEMA",
    "AnalystCall",
    "AppendResult",
    "BadInput",
    "ConcurrencyExhausted",
    "EventLog",
    "EventType",
    "FsckReport",
    "MemoryEventLog",
    "NotAStore",
    "Observation",
    "PriceBar",
    "Retraction",
    "Snapshot",
    "StoreMissing",
    "TapecheckError",
    "batch",
    "call_stream",
    "fsck",
    "observations_frame",
    "price_bars_frame",
]
