"""The filters of the Python templates (``evreg/templates/python``, see ``templating``).

Templates never print contract text raw. They have three filters and nothing else reaches the
output: ``lit`` (a safe string literal), ``ident`` (checks that a name is a plain identifier and
refuses anything else) and ``docstring`` (sanitised, wrapped docstring text).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from evreg.codegen import naming, templating

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def ident(value: object) -> str:
    if not isinstance(value, str) or not _IDENT.match(value):
        raise ValueError(f"not a plain identifier: {value!r}")
    return value


def lit(value: object) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return naming.py_str(value)
    if isinstance(value, tuple):
        items = ", ".join(lit(item) for item in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    raise ValueError(f"no literal for {type(value).__name__}")


def docstring(text: str, indent: int = 4) -> str:
    """A complete docstring (quotes included) at ``indent`` spaces, for the line after a def."""
    lines = naming.docstring_text(text.replace('"', "'"), width=max(40, 94 - indent))
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        return '""""""'
    pad = " " * indent
    if len(lines) == 1:
        return f'"""{lines[0]}"""'
    body = "\n".join(f"{pad}{line}" if line else "" for line in lines[1:])
    return f'"""{lines[0]}\n{body}\n{pad}"""'


FILTERS: dict[str, Callable[..., str]] = {"lit": lit, "ident": ident, "docstring": docstring}


def render(template: str, **context: Any) -> str:
    return templating.render("python", FILTERS, template, **context)
