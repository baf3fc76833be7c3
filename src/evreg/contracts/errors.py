"""The one error type the contracts core raises for bad input."""

from __future__ import annotations


class ContractError(ValueError):
    """A contract could not be loaded or compared.

    Every instance names *where* the problem is: ``source`` (a file name or
    ``<input>``), and a ``line``/``column`` for syntax errors or a JSON
    ``pointer`` (``#/components/messages/X``) for structural ones.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
        pointer: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.line = line
        self.column = column
        self.pointer = pointer
        super().__init__(str(self))

    @property
    def location(self) -> str:
        where = self.source or "<input>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        if self.pointer is not None:
            where += f" at {self.pointer}"
        return where

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"

    def with_source(self, source: str) -> ContractError:
        """Return a copy of this error attributed to ``source``."""
        return ContractError(
            self.message, source=source, line=self.line, column=self.column, pointer=self.pointer
        )
