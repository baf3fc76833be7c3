"""``models.py``: pydantic v2 models from the bundled schemas, by datamodel-code-generator.

The generator runs in process on evreg's own bundle (``schemas.bundle``), so class names are the
ones evreg chose. Its options are fixed here, in one place, because every one of them shows in
the generated code:

- ``snake_case_field`` + ``allow_population_by_field_name``: Python names (``order_id``) with the
  wire name as alias (``orderId``); ``model_dump(by_alias=True)`` gives the wire form;
- ``use_missing_sentinel`` + ``strict_nullable``: an optional property that is not nullable is
  ``X | MISSING = MISSING``, so an unset field is left out of the dump instead of becoming a
  ``null`` the schema rejects, while ``type: [X, "null"]`` stays ``X | None``;
- formats: ``date-time`` -> ``AwareDatetime``, ``uuid`` -> ``UUID``, ``date`` -> ``date``;
  ``email`` and ``uri`` stay ``str`` (``EmailStr`` needs an extra package; ``AnyUrl`` rewrites
  the value, so a round trip would change it);
- an enum property's default is the enum member (``Plan.FREE``), not its value (which mypy
  --strict refuses as the enum's type);
- the builtin formatter at line length 100 (no external tool, same bytes everywhere), double
  quotes; no timestamp, a header of our own.
"""

from __future__ import annotations

import ast
import io
import json
import threading
import tokenize
from typing import Any

from evreg.codegen.errors import CodegenError

_LOCK = threading.Lock()  # the generator keeps process-wide state

TYPE_MAPPINGS = (
    "email=string",
    "idn-email=string",
    "uri=string",
    "uri-reference=string",
    "iri=string",
    "iri-reference=string",
    "hostname=string",
    "idn-hostname=string",
)

LINE_LENGTH = 100


def _generator() -> Any:
    try:
        import datamodel_code_generator as dmcg
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise CodegenError(
            'generating models needs datamodel-code-generator: pip install "evreg[codegen]"'
        ) from exc
    return dmcg


def options() -> dict[str, Any]:
    dmcg = _generator()
    return {
        "input_file_type": dmcg.InputFileType.JsonSchema,
        "output_model_type": dmcg.DataModelType.PydanticV2BaseModel,
        "target_python_version": dmcg.PythonVersion.PY_311,
        "use_annotated": True,
        "field_constraints": True,
        "disable_timestamp": True,
        "formatters": [dmcg.Formatter.BUILTIN],
        "builtin_format_line_length": LINE_LENGTH,
        "use_double_quotes": True,
        "snake_case_field": True,
        "allow_population_by_field_name": True,
        "skip_root_model": True,
        "naming_strategy": dmcg.NamingStrategy.ParentPrefixed,
        "capitalise_enum_members": True,
        "set_default_enum_member": True,
        "use_schema_description": True,
        "use_field_description": True,
        "use_missing_sentinel": True,
        "strict_nullable": True,
        "type_mappings": list(TYPE_MAPPINGS),
        "import_overrides": {"MISSING": "pydantic"},
    }


def class_names(source: str) -> list[str]:
    """The top-level classes a module defines, in order."""
    return [node.name for node in ast.parse(source).body if isinstance(node, ast.ClassDef)]


def render_models(model_schema: dict[str, Any], header: str, expected: list[str]) -> str:
    """The text of models.py; every name in ``expected`` must come out as a class."""
    if not model_schema.get("$defs"):
        return f"{header}\n\n# No message in the contract declares a payload or headers.\n"
    dmcg = _generator()
    text = json.dumps(model_schema, ensure_ascii=False)
    with _LOCK:
        try:
            out = dmcg.generate(text, custom_file_header=header, **options())
        except Exception as exc:  # the generator's own errors: name them, keep the cause
            raise CodegenError(f"datamodel-code-generator failed: {exc}") from exc
    if not isinstance(out, str):
        raise CodegenError("datamodel-code-generator returned several modules; expected one")
    missing = sorted(set(expected) - set(class_names(out)))
    if missing:
        raise CodegenError(f"datamodel-code-generator renamed or dropped {', '.join(missing)}")
    return out if out.endswith("\n") else out + "\n"


def none_last(source: str) -> str:
    """``X | None | MISSING`` -> ``X | MISSING | None`` in annotations (ruff's RUF036).

    Done on tokens, so string literals and docstrings that happen to contain the same text
    are never touched.
    """
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    spans: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for i in range(1, len(tokens) - 2):
        before, none, bar, missing = tokens[i - 1 : i + 3]
        if (
            before.string == "|"
            and none.type == tokenize.NAME
            and none.string == "None"
            and bar.string == "|"
            and missing.type == tokenize.NAME
            and missing.string == "MISSING"
            and none.start[0] == missing.end[0]
        ):
            spans.append((none.start, missing.end))
    if not spans:
        return source
    lines = source.splitlines(keepends=True)
    for (row, start), (_, end) in reversed(spans):
        line = lines[row - 1]
        lines[row - 1] = line[:start] + "MISSING | None" + line[end:]
    return "".join(lines)
