"""Witness search: concrete events, valid under the writer and rejected by the reader.

``finder.WitnessFinder`` searches one for each change; ``sides`` holds each side's documents,
resolvers and real validators; ``sample``/``candidates``/``constraints``/``scalars``/
``regex_strings`` build candidate values; ``quick_check`` sorts them cheaply before the real
validator decides. A witness is only ever reported on the real validators' word.
"""

from evreg.contracts.compat.witness.finder import (
    MAX_SEARCHES,
    SEARCH,
    Limits,
    WitnessFinder,
    WitnessResult,
)

__all__ = ["MAX_SEARCHES", "SEARCH", "Limits", "WitnessFinder", "WitnessResult"]
