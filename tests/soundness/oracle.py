"""The oracle: ``jsonschema``'s validator for each schema's draft decides what an event proves.

An event is a **counterexample** to "every event valid under the writer is valid under the
reader" when the writer accepts it and the reader rejects it. ``format`` is an annotation by
default (2020-12, and what ``jsonschema`` does without a format checker) and an assertion where a
validator is asked to check it (evreg checks its witnesses with format assertions on), so when
either schema uses ``format`` the event must prove the break under *both* readings, each applied
to both schemas: it can then not depend on how a consumer reads ``format`` (a writer asserting
``format`` inside a ``not`` accepts more, not less). Without ``format`` there is one reading.

Schemas without ``$schema`` are read as 2020-12, as evreg reads them.
"""

from __future__ import annotations

from typing import Any

from jsonschema import validators
from jsonschema.protocols import Validator

from .schema_walk import contains_keyword


class Side:
    """One schema and its validators (one per reading of ``format`` when it uses ``format``)."""

    def __init__(self, schema: Any) -> None:
        cls = validators.validator_for(schema, default=validators.Draft202012Validator)
        self.schema = schema
        self.readings: list[Validator] = [cls(schema)]
        if contains_keyword(schema, "format"):
            self.readings.append(cls(schema, format_checker=cls.FORMAT_CHECKER))

    def accepts(self, value: Any) -> bool:
        """Valid under every reading of ``format``."""
        return all(_valid(v, value) is True for v in self.readings)

    def rejects(self, value: Any) -> bool:
        """Invalid under every reading of ``format``."""
        return all(_valid(v, value) is False for v in self.readings)


def _valid(validator: Validator, value: Any) -> bool | None:
    try:
        return bool(validator.is_valid(value))
    except RecursionError:
        return None  # neither valid nor invalid: proves nothing


class Oracle:
    """The writer and the reader of one pair."""

    def __init__(self, writer: Any, reader: Any) -> None:
        self.writer = Side(writer)
        self.reader = Side(reader)

    def proves(self, value: Any) -> bool:
        """``value`` is valid under the writer and invalid under the reader."""
        return self.reader.rejects(value) and self.writer.accepts(value)
