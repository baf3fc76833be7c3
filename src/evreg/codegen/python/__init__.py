"""The Python renderer: a plan -> a typed Python package on ``evreg.runtime``.

``models.py`` comes from datamodel-code-generator (``evreg[codegen]``, see ``models``), the
producer, consumer and contract tests from the jinja2 templates in ``evreg/templates/python``
(see ``templates``). This module only spells the plan in Python: method and argument names,
union aliases, imports as ruff writes them.
"""

from __future__ import annotations

import builtins
import json
import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from evreg.codegen import naming
from evreg.codegen.bindings import Bindings
from evreg.codegen.errors import CodegenError
from evreg.codegen.plan import OperationPlan, Plan, contract_data, evreg_version, header_lines
from evreg.codegen.python import models as pymodels
from evreg.codegen.python.json_scalars import exact_scalars
from evreg.codegen.python.templates import render
from evreg.codegen.schemas import SourceContract
from evreg.contracts.model import DRAFT4, Operation

LINE_LENGTH = pymodels.LINE_LENGTH

# producer / consumer attributes a generated method must not shadow
_RESERVED_METHODS = frozenset({"close", "retry", "transport", "start", "stop", "decode"})


@dataclass(slots=True)
class MessageView:
    id: str
    name: str
    payload_class: str
    headers_class: str | None
    content_type: str
    schema_id: int | None
    auto_headers: list[tuple[str, str]]
    integral_floats: bool  # False under draft-04: 2.0 is not an integer there


@dataclass(slots=True)
class OperationView:
    contract: int
    operation: Operation
    address: str
    messages: list[MessageView]
    method: str = ""
    spec: str = ""
    params: list[tuple[str, str]] = field(default_factory=list)  # (placeholder, argument)
    event_type: str = ""
    event_alias: tuple[str, list[str]] | None = None  # (alias name, union members)
    headers_type: str = ""
    doc: str = ""
    options: list[tuple[str, object]] = field(default_factory=list)  # ChannelOptions(...)
    key: str | None = None  # OperationSpec.key: the runtime expression of the Kafka key
    key_arg: str = ""  # "required" / "optional": the producer method's key argument


def _isort_key(name: str) -> tuple[int, str, str]:
    kind = 0 if len(name) > 1 and name.isupper() else 1 if name[:1].isupper() else 2
    return (kind, name.lower(), name)


def import_from(module: str, names: Sequence[str]) -> str:
    """A ``from module import a, b`` statement as ruff's isort and formatter write it."""
    ordered = sorted(set(names), key=_isort_key)
    one_line = f"from {module} import {', '.join(ordered)}"
    if len(one_line) <= LINE_LENGTH:
        return one_line
    body = "".join(f"    {name},\n" for name in ordered)
    return f"from {module} import (\n{body})"


def union_alias(name: str, members: Sequence[str]) -> str:
    one_line = f"{name}: TypeAlias = {' | '.join(members)}"
    if len(one_line) <= LINE_LENGTH:
        return one_line
    body = "\n    | ".join(members)
    return f"{name}: TypeAlias = (\n    {body}\n)"


def _views(operations: Sequence[OperationPlan], prefix: str) -> list[OperationView]:
    views = []
    taken: set[str] = set()
    for op in operations:
        messages = [
            MessageView(
                id=m.id,
                name=m.name,
                payload_class=m.payload_type or "",
                headers_class=m.headers_type,
                content_type=m.content_type,
                schema_id=op.schema_id,
                auto_headers=list(m.auto_headers),
                integral_floats=(m.payload_schema or {}).get("$schema") != DRAFT4,
            )
            for m in op.messages
        ]
        view = OperationView(op.contract, op.operation, op.address, messages, doc=op.doc)
        _bindings(view, op.bindings)
        method = f"{prefix}{op.name}"
        if method in _RESERVED_METHODS:
            method += "_event"
        view.method = naming.unique(method, taken)
        view.spec = "_" + view.method.upper().lstrip("_")
        arguments = {"self", "event", "headers", "correlation_id", "handler", "parameters", "key"}
        view.params = [
            (p, naming.unique(naming.snake(p, fallback="param"), arguments)) for p in op.parameters
        ]
        classes = list(op.payload_types)
        if len(classes) == 1:
            view.event_type = classes[0]
        else:
            alias = naming.pascal(view.method) + "Event"
            view.event_alias = (alias, classes)
            view.event_type = alias
        (only,) = op.headers_types if len(op.headers_types) == 1 else (None,)
        view.headers_type = f"{only} | Mapping[str, object] | None" if only else ""
        views.append(view)
    return views


def _bindings(view: OperationView, bindings: Bindings) -> None:
    """The ``ChannelOptions`` fields and the key the operation's bindings ask for."""
    values: list[tuple[str, object]] = [
        ("key", bindings.key),
        ("qos", bindings.qos),
        ("retain", bindings.retain),
        ("exchange", bindings.exchange),
        ("exchange_type", bindings.exchange_type),
        ("queue", bindings.queue),
    ]
    view.options = [(name, value) for name, value in values if value is not None]
    if bindings.routing_keys:
        view.options.append(("routing_keys", bindings.routing_keys))
    view.key = bindings.key_expression
    if bindings.key_required:
        view.key_arg = "required"
    elif bindings.has_key:
        view.key_arg = "optional"


def _imports(views: list[OperationView]) -> str:
    names = []
    for view in views:
        for m in view.messages:
            names.append(m.payload_class)
            if view.headers_type and m.headers_class:
                names.append(m.headers_class)
    return import_from(".models", names) if names else ""


def _std_imports(views: list[OperationView], *, consumer: bool) -> str:
    lines = []
    if consumer:
        lines.append("from collections.abc import Awaitable, Callable")
    elif any(view.headers_type for view in views):
        lines.append("from collections.abc import Mapping")
    if any(view.event_alias for view in views):
        lines.append("from typing import TypeAlias")
    return "\n".join(lines)


_PEP440 = re.compile(r"[0-9]+(\.[0-9]+)*")

# What the package's tests and type checks import beyond its runtime (evreg, pydantic):
# `pip install "NAME[test]"` then `pytest` and `mypy --strict` work in a fresh environment.
TEST_REQUIREMENTS = (
    "jsonschema>=4.23",
    "pytest>=8",
    "hypothesis>=6.100",
    "mypy>=1.11",
    "types-jsonschema",
)


def pyproject_toml(plan: Plan, package: str, header: str) -> str:
    """The package's own pyproject.toml, in the package folder: ``pip install PATH/NAME[test]``
    installs it with what its contract tests and ``mypy --strict`` need."""
    version = "0.0.0"
    if len(plan.contracts) == 1 and _PEP440.fullmatch(plan.contracts[0].version or ""):
        version = plan.contracts[0].version or version
    description = naming.comment_text(f"Events of {plan.titles}, generated by evreg", limit=200)
    evreg = f"evreg>={evreg_version()}"

    def strings(values: Sequence[str]) -> str:
        return "[\n" + "".join(f"    {json.dumps(v)},\n" for v in values) + "]"

    return (
        f"{header}\n\n"
        "[build-system]\n"
        'requires = ["hatchling>=1.25"]\n'
        'build-backend = "hatchling.build"\n\n'
        "[project]\n"
        f'name = "{package.replace("_", "-")}"\n'
        f'version = "{version}"\n'
        f"description = {json.dumps(description)}\n"
        'requires-python = ">=3.11"\n'
        f"dependencies = {strings([evreg, 'pydantic>=2.14,<3'])}\n\n"
        "[project.optional-dependencies]\n"
        "# the contract tests (pytest NAME/tests) and mypy --strict NAME\n"
        f"test = {strings([f'evreg[testing]>={evreg_version()}', *TEST_REQUIREMENTS])}\n\n"
        "# this folder is the package itself: its files go into the wheel under NAME/\n"
        "[tool.hatch.build.targets.wheel]\n"
        'only-include = ["__init__.py", "producer.py", "consumer.py", "models.py", '
        '"py.typed", "contract.json", "tests"]\n\n'
        "[tool.hatch.build.targets.wheel.sources]\n"
        f'"" = "{package}"\n'
    )


@dataclass(frozen=True, slots=True)
class PythonRenderer:
    name: str = "python"
    options: tuple[str, ...] = pymodels.TYPE_MAPPINGS

    def default_package(self, sources: Sequence[SourceContract]) -> str:
        """The contract's title as a package name, or ``events`` for several contracts."""
        if len(sources) != 1:
            return "events"
        return naming.package_name(sources[0].contract.title or sources[0].subject)

    def check_package(self, name: str) -> str:
        if (
            not re.fullmatch(r"[a-z_][a-z0-9_]*", name)
            or keyword.iskeyword(name)
            or keyword.issoftkeyword(name)
            or hasattr(builtins, name)
        ):
            raise CodegenError(
                f"--package {name!r}: use a lower-case Python identifier that is not a keyword "
                "or a builtin (letters, digits and _)"
            )
        return name

    def render(self, plan: Plan, package: str) -> dict[str, str]:
        header = "\n".join(f"# {line}" for line in header_lines(plan, self.name))
        models = pymodels.render_models(
            plan.bundle.model_schema, header, [entity.name for entity in plan.bundle.entities]
        )
        models = exact_scalars(pymodels.none_last(models))
        sends = _views(plan.sends, "")
        receives = _views(plan.receives, "on_")
        methods = [view.method for view in (*sends, *receives)]
        arguments = [[arg for _, arg in view.params] for view in (*sends, *receives)]
        data = contract_data(plan, methods, f"evreg {evreg_version()}", arguments)
        context = {
            "header": header,
            "titles": plan.titles,
            "package": package,
            "union_alias": union_alias,
        }
        return {
            "__init__.py": render("__init__.py.j2", **context),
            "py.typed": "",
            "pyproject.toml": pyproject_toml(plan, package, header),
            "models.py": models,
            "producer.py": render(
                "producer.py.j2",
                operations=sends,
                model_imports=_imports(sends),
                std_imports=_std_imports(sends, consumer=False),
                **context,
            ),
            "consumer.py": render(
                "consumer.py.j2",
                operations=receives,
                model_imports=_imports(receives),
                std_imports=_std_imports(receives, consumer=True),
                **context,
            ),
            "contract.json": json.dumps(data, indent=2, ensure_ascii=True) + "\n",
            "tests/__init__.py": render("tests/__init__.py.j2", **context),
            "tests/test_contract.py": render("tests/test_contract.py.j2", **context),
        }


RENDERER = PythonRenderer()
