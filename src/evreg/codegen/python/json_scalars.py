"""Enums and literals of numbers or booleans in ``models.py`` keep their values' JSON type.

datamodel-code-generator writes ``class X(Enum)`` / ``class X(IntEnum)`` and ``Literal[1]``,
which pydantic matches by Python equality, so JSON ``true`` would be read as ``1`` (see
``evreg.runtime.json_scalars``). This rewrites, on the module's syntax tree, such an enum's base
to ``JsonEnum`` / ``JsonIntEnum`` and such a literal to ``Annotated[Literal[...],
SAME_JSON_TYPE]``, and adjusts the imports (ruff's isort order). Enums and literals of strings
only are left as they are: a JSON string never equals a number.
"""

from __future__ import annotations

import ast
from typing import Any

RUNTIME = "evreg.runtime.json_scalars"
BASES = {"Enum": "JsonEnum", "IntEnum": "JsonIntEnum"}


def exact_scalars(source: str) -> str:
    """``source`` with the rewrites above; unchanged when it has no such enum or literal."""
    tree = ast.parse(source)
    data = source.encode("utf-8")
    starts = [0]
    for line in data.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def span(node: ast.expr) -> tuple[int, int]:  # ast columns count UTF-8 bytes
        assert node.end_lineno is not None and node.end_col_offset is not None
        return starts[node.lineno - 1] + node.col_offset, starts[node.end_lineno - 1] + (
            node.end_col_offset
        )

    edits: list[tuple[int, int, bytes]] = []
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and _scalar_enum(node):
            base = node.bases[0]
            assert isinstance(base, ast.Name)
            edits.append((*span(base), BASES[base.id].encode()))
            names.add(BASES[base.id])
        elif _scalar_literal(node):
            assert isinstance(node, ast.Subscript)
            start, end = span(node)
            edits.append((start, end, b"Annotated[" + data[start:end] + b", SAME_JSON_TYPE]"))
            names |= {"Annotated", "SAME_JSON_TYPE"}
    if not edits:
        return source
    for start, end, text in sorted(edits, reverse=True):
        data = data[:start] + text + data[end:]
    return _imports(data.decode("utf-8"), names)


def _scalar(value: Any) -> bool:
    return isinstance(value, int | float)  # bool is an int


def _value(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None


def _scalar_enum(node: ast.ClassDef) -> bool:
    if len(node.bases) != 1 or not isinstance(node.bases[0], ast.Name):
        return False
    if node.bases[0].id not in BASES:
        return False
    return any(isinstance(item, ast.Assign) and _scalar(_value(item.value)) for item in node.body)


def _scalar_literal(node: ast.AST) -> bool:
    if not (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Literal"
    ):
        return False
    items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    return any(_scalar(_value(item)) for item in items)


def _imports(source: str, names: set[str]) -> str:
    """Add ``Annotated`` and the runtime's names, drop ``Enum``/``IntEnum`` if now unused."""
    tree = ast.parse(source)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    lines = source.splitlines(keepends=True)
    runtime = sorted(names - {"Annotated"}, key=_isort_key)
    pydantic_line = None
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom) or node.lineno != node.end_lineno:
            continue
        have = [alias.name for alias in node.names]
        keep = have
        if node.module == "typing" and "Annotated" in names:
            keep = sorted({*have, "Annotated"}, key=_isort_key)
        elif node.module == "enum":
            keep = [name for name in have if name in used]
        elif node.module == "pydantic" and pydantic_line is None:
            pydantic_line = node.lineno
        if keep != have:
            text = f"from {node.module} import {', '.join(keep)}\n"
            lines[node.lineno - 1] = text if keep else ""
    if runtime:
        if pydantic_line is None:  # models.py always imports pydantic's BaseModel
            raise ValueError("models.py without a pydantic import")
        line = f"from {RUNTIME} import {', '.join(runtime)}\n"
        lines[pydantic_line - 1] = line + lines[pydantic_line - 1]
    return "".join(lines)


def _isort_key(name: str) -> tuple[int, str]:
    """ruff's isort order within an import: constants, then classes, then the rest."""
    if name.isupper():
        return 0, name
    return (1, name) if name[:1].isupper() else (2, name)
