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
        others: tuple[ContractError, ...] = (),
    ) -> None:
        self.message = message
        self.others = others  # further errors found in the same pass (one line each)
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
        """Return a copy of this error (and of its ``others``) attributed to ``source``."""
        return self.placed(source=source)

    def placed(self, *, source: str | None = None, line: int | None = None) -> ContractError:
        """A copy with ``source`` (this and the others) and ``line`` (this one) filled in."""
        return ContractError(
            self.message,
            source=source or self.source,
            line=line if line is not None else self.line,
            column=self.column if line is None else None,
            pointer=self.pointer,
            others=tuple(o.placed(source=source) for o in self.others),
        )

    def with_others(self, others: list[ContractError]) -> ContractError:
        """This error, carrying ``others`` found in the same pass."""
        return ContractError(
            self.message,
            source=self.source,
            line=self.line,
            column=self.column,
            pointer=self.pointer,
            others=(*self.others, *others),
        )

    def lines(self) -> list[str]:
        """One line per error: this one, then the others."""
        return [str(self), *(str(o) for o in self.others)]
