"""The adapter registry: names, what each expects, and detection of a file's format.

``auto`` detects the adapter from the first lines of the file and says which one it chose; an
unrecognisable file is an error listing what each adapter expects.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from store.errors import BadInput
from store.ingest import fred, french, yahoo
from store.ingest.formats import Parsed, Target, TextFile, read_text_file
from store.reference.catalog import Catalog, CatalogError

ParseFn = Callable[[TextFile, Target, str, Callable[[str, str, int], Exception]], Parsed]


@dataclass(frozen=True)
class Adapter:
    """One source format."""

    name: str
    kind: str  # "bars" or "observations"
    expected: str
    detect: Callable[[list[str]], bool]
    parse: ParseFn


def _is_yahoo(lines: list[str]) -> bool:
    # Capitalised headers are Yahoo's; all-lower-case ones are the lower-ohlc exports.
    return yahoo.match_yahoo(lines) is not None and lines[0] != lines[0].lower()


ADAPTERS: dict[str, Adapter] = {
    a.name: a
    for a in (
        Adapter("yahoo", "bars", yahoo.EXPECTED["yahoo"], _is_yahoo, yahoo.parse_prices),
        Adapter(
            "yfinance",
            "bars",
            yahoo.EXPECTED["yfinance"],
            lambda ls: yahoo.match_yfinance(ls) is not None,
            yahoo.parse_prices,
        ),
        Adapter(
            "yfinance-multi",
            "bars",
            yahoo.EXPECTED["yfinance-multi"],
            lambda ls: yahoo.match_yfinance_multi(ls) is not None,
            yahoo.parse_prices,
        ),
        Adapter(
            "lower-ohlc",
            "bars",
            yahoo.EXPECTED["lower-ohlc"],
            lambda ls: yahoo.match_lower_ohlc(ls) is not None,
            yahoo.parse_prices,
        ),
        Adapter(
            "fred",
            "observations",
            fred.EXPECTED["fred"],
            lambda ls: fred.match_fred(ls) is not None,
            fred.parse_fred,
        ),
        Adapter(
            "fred-datevalue",
            "observations",
            fred.EXPECTED["fred-datevalue"],
            fred.match_datevalue,
            fred.parse_fred,
        ),
        Adapter(
            "close-only",
            "bars",
            yahoo.EXPECTED["close-only"],
            lambda ls: yahoo.match_close_only(ls) is not None,
            yahoo.parse_prices,
        ),
        Adapter(
            "french-factors",
            "observations",
            french.EXPECTED["french-factors"],
            french.match_factors,
            french.parse_french,
        ),
        Adapter(
            "french-portfolios",
            "observations",
            french.EXPECTED["french-portfolios"],
            french.match_portfolios,
            french.parse_french,
        ),
    )
}
ADAPTER_NAMES = ("auto", *ADAPTERS)


def adapter_help() -> str:
    """One line per adapter: its name and the header it expects."""
    return "\n".join(f"{a.name}: {a.expected}" for a in ADAPTERS.values())


def head(tf: TextFile) -> list[str]:
    """The first 40 non-blank lines of ``tf`` (what detection looks at)."""
    return [line for line in tf.lines if line.strip()][:40] or [""]


def detect(tf: TextFile) -> str:
    """The adapter whose header matches ``tf``; BadInput listing every format otherwise."""
    lines = head(tf)
    for adapter in ADAPTERS.values():
        if adapter.detect(lines):
            return adapter.name
    found = lines[0][:120]
    raise BadInput(
        f"unrecognised format: found header {found!r}; expected one of: "
        + "; ".join(f"{a.name} ({a.expected})" for a in ADAPTERS.values()),
        file=tf.name,
        row=1,
    )


def expected_error(tf: TextFile) -> Callable[[str, str, int], Exception]:
    """The error an adapter raises when ``tf``'s header is not the one it expects."""

    def fail(adapter: str, expected: str, lines: int) -> Exception:
        found = " / ".join(head(tf)[:lines])[:160]
        hint = ""
        with contextlib.suppress(BadInput):
            hint = f" (this looks like a {detect(tf)!r} file)"
        return BadInput(
            f"wrong adapter {adapter!r}: expected header {expected}, found {found!r}{hint}",
            file=tf.name,
            row=1,
        )

    return fail


def parse_file(path: Path | str, target: Target, adapter: str = "auto") -> Parsed:
    """Read, detect (for ``auto``), parse and check one file; nothing is written.

    Raises
    ------
    BadInput
        For every fatal problem, naming the file, line and column.
    """
    if adapter not in ADAPTER_NAMES:
        raise BadInput(
            f"unknown adapter {adapter!r}; choose one of {', '.join(ADAPTER_NAMES)}",
            file=str(path),
        )
    tf = read_text_file(path)
    if len(head(tf)) == 1:
        raise BadInput("has only a header line, no data rows", file=tf.name, row=1)
    name = detect(tf) if adapter == "auto" else adapter
    spec = ADAPTERS[name]
    return spec.parse(tf, target, name, expected_error(tf))


def checked(catalog: Catalog) -> Catalog:
    """``catalog``, once every source names an adapter this registry has."""
    for source in catalog.sources():
        if source.adapter not in ADAPTERS:
            raise CatalogError(
                f"catalog: {source.series}@{source.feed}: unknown adapter {source.adapter!r}"
            )
    return catalog
