"""Errors the store raises. Every one of them is a user-facing message, never a traceback."""

from __future__ import annotations


class TapecheckError(Exception):
    """Base of every error tapecheck reports as one line with exit code 2."""


class BadInput(TapecheckError):
    """Input that cannot become events: names the file, the row and the field at fault.

    ``row`` is the 1-based line of the input file when a file is known, otherwise the 0-based
    index of the row in the batch.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.field = field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"line {self.row}" if self.file is not None else f"row {self.row}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class NotAStore(TapecheckError):
    """A directory exists but is not a tapecheck store; we refuse to touch it."""


class StoreMissing(TapecheckError):
    """A read was asked of a store that has not been created yet."""


class StoreDamaged(TapecheckError):
    """The store's files do not match what its log recorded; readers stop and point at fsck."""


class ConcurrencyExhausted(TapecheckError):
    """Optimistic-concurrency retries ran out; nothing was committed by this append."""


def clip(text: object, limit: int = 200) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out.

    Error lines quote values from the input; a 5 MB cell must not become a 5 MB line.

    >>> clip("x" * 500, 10)
    'xxxxxxxxxx… (490 more characters)'
    >>> clip("short")
    'short'
    """
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"
