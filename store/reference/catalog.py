"""The data catalog (``catalog.toml``): series, their source files, and preferred sources.

The tape asks the catalog which feed to use for a series (:func:`preferred_feeds`), whether a
feed's prices are dividend-adjusted, and what a series stands in for (:func:`proxy_for`).
Ingest asks it which files to read, with which adapter, and which known defects to expect.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import tomllib
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from store.errors import TapecheckError

KINDS = ("index", "etf", "stock", "macro", "factor")


class CatalogError(TapecheckError):
    """The catalog file is malformed."""


@dataclass(frozen=True)
class SourceSpec:
    """One file of one series: a feed, or one vintage of a feed.

    A publisher that revises its history (the French library) or a live series downloaded at
    different times (FRED) gives one feed several sources, one per ``vintage``. Ingest records
    a vintage's values at its ``released`` instant, oldest vintage first, so values a later
    vintage leaves unchanged stay one fact and revised values become new versions of it.
    """

    series: str
    feed: str
    file: str
    adapter: str
    adjusted: bool
    last_row_partial: bool
    notes: str
    vintage: str | None = None
    released: dt.datetime | None = None


@dataclass(frozen=True)
class SeriesSpec:
    """One catalogued series (a ticker, a FRED series or a French family)."""

    id: str
    kind: str
    description: str
    currency: str | None
    unit: str | None
    proxy_of: str | None
    preferred: tuple[str, ...]
    preferred_adjusted: tuple[str, ...]
    publication: str | None
    notes: str
    sources: tuple[SourceSpec, ...]

    @property
    def adjusted(self) -> bool | None:
        """True/False when every price source is adjusted/unadjusted, None when mixed."""
        flags = {s.adjusted for s in self.sources}
        return flags.pop() if len(flags) == 1 else None

    def source(self, feed: str) -> SourceSpec | None:
        """The source of this series published by ``feed`` (its oldest vintage, if several)."""
        return next((s for s in self.sources if s.feed == feed), None)


@dataclass(frozen=True)
class Unavailable:
    """A series no source was found for, and what may stand in for it."""

    id: str
    description: str
    proxy: str | None


@dataclass(frozen=True)
class Catalog:
    """The parsed catalog."""

    series: dict[str, SeriesSpec]
    unavailable: dict[str, Unavailable]
    ignored: tuple[tuple[str, str], ...]

    def entry(self, symbol: str) -> SeriesSpec | None:
        """The series ``symbol`` (exact id, else its family: ``FF3:SMB:M`` -> ``FF3``)."""
        if symbol in self.series:
            return self.series[symbol]
        family = symbol.split(":", 1)[0]
        spec = self.series.get(family)
        return spec if spec is not None and spec.kind == "factor" else None

    def sources(self) -> list[SourceSpec]:
        """Every source of every series, in catalog order."""
        return [s for spec in self.series.values() for s in spec.sources]

    def find_file(self, path: Path | str, symbol: str | None = None) -> SourceSpec | None:
        """The catalogued source whose file name is ``path``'s (and whose series is
        ``symbol``, when given)."""
        name = Path(path).name
        for source in self.sources():
            if Path(source.file).name == name and (symbol is None or source.series == symbol):
                return source
        return None

    def ignored_reason(self, path: Path | str) -> str | None:
        """Why a file of the data folder is not ingested, or None."""
        name = Path(path).name
        return next((r for p, r in self.ignored if fnmatch.fnmatch(name, p)), None)


def _str(table: dict[str, object], key: str, where: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise CatalogError(f"catalog: {where}: '{key}' must be a string")
    return value


def _feeds(table: dict[str, object], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CatalogError(f"catalog: {where}: '{key}' must be a list of feed names")
    return tuple(value)


def _released(src: dict[str, object], where: str) -> dt.datetime | None:
    value = src.get("released")
    if value is None:
        return None
    # TOML gives an offset datetime as an aware datetime; a local one would be ambiguous
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise CatalogError(
            f"catalog: {where}: 'released' must be a datetime with a UTC offset "
            "(e.g. 2025-03-01T00:00:00-05:00)"
        )
    return value.astimezone(dt.UTC)


def _check_vintages(sid: str, sources: list[SourceSpec]) -> None:
    """Sources sharing a feed are vintages: each dated, listed oldest first."""
    by_feed: dict[str, list[SourceSpec]] = {}
    for source in sources:
        by_feed.setdefault(source.feed, []).append(source)
    for feed, group in by_feed.items():
        if len(group) == 1:
            continue
        for source in group:
            if source.vintage is None or source.released is None:
                raise CatalogError(
                    f"catalog: {sid}@{feed}: {source.file} shares its feed with another "
                    "source, so it is a vintage: give it 'vintage' and 'released'"
                )
        released = [s.released for s in group if s.released is not None]
        if released != sorted(set(released)):
            raise CatalogError(
                f"catalog: {sid}@{feed}: vintages must be listed oldest first, "
                "each released at a different instant"
            )


def parse_catalog(text: str, adapters: Collection[str] | None = None) -> Catalog:
    """Parse and check catalog TOML text (and, given the known ``adapters``, its adapter
    names: ingest passes its registry, readers of the catalog need not import it)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"catalog is not valid TOML: {exc}") from None
    series: dict[str, SeriesSpec] = {}
    for raw in doc.get("series", []):
        sid = _str(raw, "id", "a series")
        kind = _str(raw, "kind", sid)
        if kind not in KINDS:
            raise CatalogError(f"catalog: {sid}: kind {kind!r} is not one of {', '.join(KINDS)}")
        sources = []
        for src in raw.get("sources", []):
            feed = _str(src, "feed", sid)
            adapter = _str(src, "adapter", f"{sid}@{feed}")
            if adapters is not None and adapter not in adapters:
                raise CatalogError(f"catalog: {sid}@{feed}: unknown adapter {adapter!r}")
            sources.append(
                SourceSpec(
                    series=sid,
                    feed=feed,
                    file=_str(src, "file", f"{sid}@{feed}"),
                    adapter=adapter,
                    adjusted=bool(src.get("adjusted", False)),
                    last_row_partial=bool(src.get("last_row_partial", False)),
                    notes=_str(src, "notes", f"{sid}@{feed}", ""),
                    vintage=_str(src, "vintage", f"{sid}@{feed}") if "vintage" in src else None,
                    released=_released(src, f"{sid}@{feed}"),
                )
            )
        _check_vintages(sid, sources)
        spec = SeriesSpec(
            id=sid,
            kind=kind,
            description=_str(raw, "description", sid, ""),
            currency=raw.get("currency"),
            unit=raw.get("unit"),
            proxy_of=raw.get("proxy_of"),
            preferred=_feeds(raw, "preferred", sid),
            preferred_adjusted=_feeds(raw, "preferred_adjusted", sid),
            publication=raw.get("publication"),
            notes=_str(raw, "notes", sid, ""),
            sources=tuple(sources),
        )
        feeds = {s.feed for s in sources}
        for feed in (*spec.preferred, *spec.preferred_adjusted):
            if feed not in feeds:
                raise CatalogError(f"catalog: {sid}: preferred feed {feed!r} has no source")
        if sid in series:
            raise CatalogError(f"catalog: series {sid} is listed twice")
        series[sid] = spec
    unavailable = {
        u["id"]: Unavailable(u["id"], u.get("description", ""), u.get("proxy"))
        for u in doc.get("unavailable", [])
    }
    ignored = tuple((i["pattern"], i.get("reason", "")) for i in doc.get("ignored", []))
    return Catalog(series, unavailable, ignored)


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """The catalog shipped with the package (read once per process)."""
    text = resources.files("store.reference").joinpath("catalog.toml").read_text(encoding="utf-8")
    return parse_catalog(text)


def entry(symbol: str) -> SeriesSpec | None:
    """The catalog entry of a series: kind, currency, unit, proxy_of, description, sources."""
    return load_catalog().entry(symbol)


def preferred_feeds(symbol: str, *, adjusted: bool = False) -> list[str]:
    """The feeds the tape should read for ``symbol``, by priority.

    The first feed has priority; each later feed fills only sessions (periods) the earlier
    ones lack. ``adjusted=True`` asks for dividend-adjusted prices (total returns). An empty
    list means the catalog has no such prices for the series (e.g. no unadjusted FLS).
    Unknown symbols give an empty list.
    """
    spec = load_catalog().entry(symbol)
    if spec is None:
        return []
    return list(spec.preferred_adjusted if adjusted else spec.preferred)


def is_adjusted(symbol: str, feed: str) -> bool | None:
    """Whether ``feed``'s prices of ``symbol`` are dividend-adjusted (None when unknown).

    A close-only adjusted feed stores its values in ``adj_close``; an adjusted OHLC feed
    stores them in open/high/low/close.
    """
    spec = load_catalog().entry(symbol)
    source = spec.source(feed) if spec is not None else None
    return source.adjusted if source is not None else None


def proxy_for(symbol: str) -> str | None:
    """The catalogued series that stands in for ``symbol`` (``proxy_for("^RUJ") == "IWN"``),
    or None when nothing does."""
    cat = load_catalog()
    for spec in cat.series.values():
        if spec.proxy_of == symbol:
            return spec.id
    gone = cat.unavailable.get(symbol)
    return gone.proxy if gone is not None else None
