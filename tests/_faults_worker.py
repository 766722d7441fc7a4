"""A process for the store-creation fault tests (run as a script, never imported).

create STORE            print "ready", then create the store at STORE (a kill -9 lands in it)
ingest STORE FILE GO    wait for the file GO, then ingest FILE into STORE, creating it if new
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from store import EventLog
from store.ingest.run import ingest_file


def create(store: str) -> None:
    print("ready", flush=True)
    EventLog.open(store, create=True)
    print("created", flush=True)


def ingest(store: str, file: str, go: str) -> None:
    while not Path(go).exists():
        time.sleep(0.005)
    result = ingest_file(lambda: EventLog.open(store, create=True), file, "RACE")
    print(f"added {result.added} skipped {result.skipped}", flush=True)


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "create":
        create(args[0])
    else:
        ingest(args[0], args[1], args[2])
