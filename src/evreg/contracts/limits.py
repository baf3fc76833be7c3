"""Size bounds on a contract document, chosen by whoever runs the loader (a registry operator).

Loading and checking cost time in proportion to a document's size; a registry that accepts
anything up to its body limit lets one client occupy it for seconds. ``Limits`` bounds:

- ``max_properties``: the names one ``properties`` object may declare (default 10,000);
- ``max_nodes``: the JSON objects in the whole document, every schema node being one (default
  200,000).

``None`` switches a bound off (``UNLIMITED``: for contracts a registry stored already, which
must still load after an operator lowers a bound). A document over a bound is refused with a
``ContractError`` at the JSON Pointer of the offending ``properties`` object, or of the
document. The walk is iterative and stops at the first excess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from evreg.contracts.errors import ContractError
from evreg.contracts.model import JSONValue
from evreg.contracts.values import path_pointer

DEFAULT_MAX_PROPERTIES: Final = 10_000
DEFAULT_MAX_NODES: Final = 200_000


@dataclass(frozen=True, slots=True)
class Limits:
    max_properties: int | None = DEFAULT_MAX_PROPERTIES
    max_nodes: int | None = DEFAULT_MAX_NODES


DEFAULT_LIMITS: Final = Limits()
UNLIMITED: Final = Limits(None, None)


def check_limits(document: JSONValue, limits: Limits) -> None:
    """Refuse ``document`` if it exceeds ``limits`` (``ContractError`` with a pointer)."""
    most_props, most_nodes = limits.max_properties, limits.max_nodes
    if most_props is None and most_nodes is None:
        return
    nodes = 0
    stack: list[tuple[Any, Any]] = [(document, None)]  # (value, path as a linked list)
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            nodes += 1
            if most_nodes is not None and nodes > most_nodes:
                raise ContractError(
                    f"the document has more than {most_nodes:,} objects (schema nodes); "
                    f"at most {most_nodes:,} are allowed",
                    pointer="#",
                )
            props = node.get("properties")
            if most_props is not None and isinstance(props, dict) and len(props) > most_props:
                raise ContractError(
                    f"this object declares {len(props):,} properties; at most "
                    f"{most_props:,} per object are allowed",
                    pointer=path_pointer((path, "properties")),
                )
            stack.extend((child, (path, key)) for key, child in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((child, (path, i)) for i, child in reversed(list(enumerate(node))))
