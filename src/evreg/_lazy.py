"""Package attributes imported on first use (PEP 562), so that ``import evreg`` and the CLI's
start-up do not pay for the compatibility engine, jsonschema or yaml until they are used.

A package lists its public names with the module each comes from::

    __getattr__ = lazy_attributes(__name__, {"load_contract": "evreg.contracts.loader"})

and imports the same names under ``if TYPE_CHECKING:`` for type checkers and readers.
``tests/unit/test_lazy_imports.py`` checks that both lists agree and that the light entry points
stay light.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs start-up time
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


def lazy_attributes(package: str, origins: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` importing ``origins[name]`` when ``package.name`` is first read
    (and keeping the value in the package, so the next read costs nothing)."""

    def __getattr__(name: str) -> object:
        origin = origins.get(name)
        if origin is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        __import__(origin)  # not importlib.import_module: `python -X importtime` shows this one
        value = getattr(sys.modules[origin], name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
