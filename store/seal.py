"""The seal of the log: every commit records the sha256 of the log entries before it.

The Delta log is a folder of JSON entries, ``_delta_log/<version>.json``, one per commit. Delta
itself never checks that an entry is the one that was committed, so a forged, altered or deleted
entry would silently change what the tape holds. tapecheck seals each commit it makes: the
commit's ``commitInfo`` (Delta's own custom commit metadata) carries

``tapecheck.seal``
    ``{"v": 1, "base": b, "chain": {"b": "<sha256>", ...}, "files": {"<path>": "<sha256>"}}``:
    the version ``b`` the writer read (its commit lands at ``b + 1``, or later for a
    compaction that Delta rebased over a concurrent append), the sha256 of the bytes of the
    last :data:`CHAIN_DEPTH` entries up to ``b``, and the sha256 of each data file entry ``b``
    added.

The newest entry has no later commit to seal it, so after every commit the store's marker file
records its version and digest, and the digests of the data files it added (:mod:`store.log`);
the next commit copies those into its seal, so a data file is hashed once, right after it was
written. Between them, every entry and every data file of a sealed history is covered by a
later seal or by the marker, which is what :func:`store.fsck.fsck` checks: a flipped bit
anywhere in a file is found, even where Parquet keeps no value (its page index, its footer).
Each entry is covered by up to :data:`CHAIN_DEPTH` later seals, so an entry that one seal
skipped (a compaction committed over a concurrent append) is still covered by the next ones.

This is a seal, not a second log: the data files and Delta's entries stay as Delta wrote them.
It is not a signature either: someone who can rewrite the files can recompute the hashes. It
catches damage, stray edits and naive tampering; :func:`store.fsck.fsck` additionally checks
what each entry does (an append-only table never loses events), which no forged seal hides.

>>> import tempfile
>>> from pathlib import Path
>>> table = Path(tempfile.mkdtemp())
>>> (table / "_delta_log").mkdir()
>>> _ = entry_path(table, 0).write_text('{"commitInfo": {}}\\n')
>>> entry_name(0)
'_delta_log/00000000000000000000.json'
>>> seal = seal_for(table, 0)
>>> seal["v"], seal["base"], list(seal["chain"]), seal["files"]
(1, 0, ['0'], {})
>>> read_entry(table, 0).digest == seal["chain"]["0"]
True
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

SEAL_KEY = "tapecheck.seal"
SEAL_FORMAT = 1
# How many earlier entries each seal covers; a few keep one skipped entry covered.
CHAIN_DEPTH = 4
LOG_DIR = "_delta_log"


def entry_name(version: int) -> str:
    """How a log entry is named in messages: ``_delta_log/00000000000000000042.json``."""
    return f"{LOG_DIR}/{version:020d}.json"


def entry_path(table: Path, version: int) -> Path:
    """The file of log entry ``version`` of the Delta table at ``table``."""
    return table / LOG_DIR / f"{version:020d}.json"


def digest(data: bytes) -> str:
    """The sha256 of an entry's bytes, as hex."""
    return hashlib.sha256(data).hexdigest()


def seal_for(table: Path, base: int, marker: dict[str, object] | None = None) -> dict[str, object]:
    """The seal of a commit made on top of version ``base``: digests of the last entries and
    of the data files entry ``base`` added (from the marker when it recorded ``base``).

    An entry that is missing is left out (a history Delta cleaned up before a checkpoint, or a
    store that is damaged: fsck reports the latter, the writer only refuses a lost newest entry).
    """
    chain: dict[str, str] = {}
    for version in range(base, max(base - CHAIN_DEPTH, -1), -1):
        try:
            chain[str(version)] = digest(entry_path(table, version).read_bytes())
        except FileNotFoundError:
            continue
    files = (marker or {}).get("files")
    if (marker or {}).get("version") != base or not isinstance(files, dict):
        files = file_digests(table, base)
    return {"v": SEAL_FORMAT, "base": base, "chain": chain, "files": files}


def file_digests(table: Path, version: int) -> dict[str, str]:
    """The sha256 of each data file that entry ``version`` added (missing files left out)."""
    try:
        entry = read_entry(table, version)
    except FileNotFoundError:
        return {}
    out: dict[str, str] = {}
    for action in entry.adds:
        path = action.get("path")
        if not isinstance(path, str):
            continue
        try:
            out[path] = file_digest(table / unquote(path))
        except FileNotFoundError:
            continue
    return out


def file_digest(path: Path) -> str:
    """The sha256 of a file, read in blocks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


@dataclass
class Entry:
    """One log entry as it is on disk, parsed line by line (a bad line is reported, not fatal)."""

    version: int
    digest: str
    commit: dict[str, object] = field(default_factory=dict)
    adds: list[dict[str, object]] = field(default_factory=list)
    removes: list[dict[str, object]] = field(default_factory=list)
    error: str | None = None

    @property
    def name(self) -> str:
        return entry_name(self.version)

    @property
    def seal(self) -> dict[str, object] | None:
        """This entry's seal, or None for a commit tapecheck did not seal."""
        value = self.commit.get(SEAL_KEY)
        return value if isinstance(value, dict) else None

    @property
    def operation(self) -> str:
        return str(self.commit.get("operation", "?"))


def read_entry(table: Path, version: int) -> Entry:
    """Parse one entry. Unparseable bytes become ``error`` (naming the line), never an exception."""
    data = entry_path(table, version).read_bytes()
    entry = Entry(version, digest(data))
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            action = json.loads(line)
        except (ValueError, UnicodeDecodeError) as exc:
            entry.error = f"line {number} is not valid JSON ({exc})"
            return entry
        if not isinstance(action, dict) or len(action) != 1:
            entry.error = f"line {number} is not a Delta action"
            return entry
        ((kind, body),) = action.items()
        if not isinstance(body, dict):
            entry.error = f"line {number}: {kind!r} is not an object"
            return entry
        if kind == "commitInfo":
            entry.commit = body
        elif kind == "add":
            entry.adds.append(body)
        elif kind == "remove":
            entry.removes.append(body)
    return entry


def log_versions(table: Path) -> list[int]:
    """The versions of the JSON entries present in ``_delta_log``, sorted."""
    folder = table / LOG_DIR
    versions = []
    for path in folder.glob("*.json"):
        stem = path.stem
        if len(stem) == 20 and stem.isdigit():
            versions.append(int(stem))
    return sorted(versions)


def checkpoints(table: Path) -> list[int]:
    """Versions that have a Delta checkpoint (a log may start after its earliest entries)."""
    folder = table / LOG_DIR
    found = {
        int(p.name[:20]) for p in folder.glob("*.checkpoint*.parquet") if p.name[:20].isdigit()
    }
    return sorted(found)


def records(action: dict[str, object]) -> int | None:
    """The number of rows of a data file, from the ``numRecords`` statistic of its add action."""
    stats = action.get("stats")
    if not isinstance(stats, str):
        return None
    try:
        value = json.loads(stats).get("numRecords")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None
