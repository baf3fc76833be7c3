"""The diff: every difference between a writer and a reader schema, as rule-named changes.

``diff_schemas`` compares two JSON Schemas (``walk``, over typed views from ``schema_view``,
one mixin per keyword family: ``values``, ``objects``, ``arrays``, ``combinators``);
``diff_documents`` and ``message_pairs`` compare two AsyncAPI documents (``asyncapi``). The diff
never judges a change: the policy does (``compat.rules``). It never imports the witness search.
"""

from evreg.contracts.compat.diff.asyncapi import MessagePair, diff_documents, message_pairs
from evreg.contracts.compat.diff.base import DiffCache
from evreg.contracts.compat.diff.changes import EXTRA_PROPERTY
from evreg.contracts.compat.diff.walk import diff_schemas

__all__ = [
    "EXTRA_PROPERTY",
    "DiffCache",
    "MessagePair",
    "diff_documents",
    "diff_schemas",
    "message_pairs",
]
