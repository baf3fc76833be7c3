"""The TypeScript renderer: a plan -> an npm package on ``@evreg/runtime``.

``src/models.ts`` comes from json-schema-to-typescript (run in Node.js, see ``tools`` and
``types``); the producer, consumer, contract data and contract tests from the jinja2 templates
in ``evreg/templates/typescript``. This module only spells the plan in TypeScript: camelCase
method names, union and header types, literals and doc comments that contract text cannot
break out of.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from evreg.codegen import naming, templating
from evreg.codegen.errors import CodegenError
from evreg.codegen.plan import OperationPlan, Plan, contract_data, evreg_version, header_lines
from evreg.codegen.schemas import SourceContract
from evreg.codegen.typescript import tools, types
from evreg.codegen.typescript.literals import ascii_only, jsdoc, ts_ident, ts_str, ts_value

# the versions a generated package.json asks for; js/package.json pins the same ones for the
# repository's own tests of generated packages (tests/unit/test_codegen_typescript.py checks)
RUNTIME_VERSION = "^0.1.0"
DEV_DEPENDENCIES = {
    "@types/node": "20.19.43",
    "fast-check": "4.11.0",
    "typescript": "7.0.2",
}

# members of BaseProducer / BaseConsumer a generated method must not shadow
_RESERVED_METHODS = frozenset(
    {
        "auto",
        "catalog",
        "choose",
        "close",
        "constructor",
        "dead",
        "deadLetter",
        "decode",
        "decodeHeaders",
        "dispatch",
        "group",
        "headers",
        "maxAttempts",
        "publish",
        "register",
        "retry",
        "routes",
        "send",
        "start",
        "stop",
        "subscriptions",
        "transport",
    }
)
_NPM_NAME = re.compile(r"(?:@[a-z0-9-~][a-z0-9-._~]*/)?[a-z0-9-~][a-z0-9-._~]*")
_SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?")


def camel(snake_name: str) -> str:
    """``on_order_placed`` -> ``onOrderPlaced``."""
    parts = naming.words(snake_name) or ["op"]
    return parts[0].lower() + "".join(w[:1].upper() + w[1:].lower() for w in parts[1:])


@dataclass(slots=True)
class MessageView:
    id: str
    name: str
    content_type: str
    schema_id: int | None
    auto_headers: tuple[tuple[str, str], ...]


@dataclass(slots=True)
class OperationView:
    key: str
    address: str
    method: str  # camelCase
    spec: str  # UPPER_SNAKE
    doc: str
    messages: list[MessageView]
    event_type: str
    headers_type: str
    options_type: str = ""
    options_default: str = ""
    options: str = ""  # the OperationSpec's options: what its bindings ask, as a TS literal
    key_expr: str | None = None  # the runtime expression of the Kafka key


def _type_ref(name: str | None) -> str:
    return f"models.{ts_ident(name)}" if name else "never"


def _views(operations: Sequence[OperationPlan], prefix: str) -> list[OperationView]:
    views: list[OperationView] = []
    taken: set[str] = set()
    specs: set[str] = set()
    for op in operations:
        method = camel(f"{prefix} {op.name}")
        if method in _RESERVED_METHODS or method in taken:
            method = naming.unique(method + "Event", taken)
        else:
            taken.add(method)
        spec = naming.unique("_".join(w.upper() for w in naming.words(method)), specs)
        events = " | ".join(_type_ref(t) for t in op.payload_types) or "never"
        (only,) = op.headers_types if len(op.headers_types) == 1 else (None,)
        params = op.parameters
        params_type = (
            "{ " + "; ".join(f"{ts_str(p)}: string" for p in params) + " }" if params else "never"
        )
        headers_type = _type_ref(only)
        options = f"SendOptions<{headers_type}, {params_type}>"
        view = OperationView(
            key=op.operation.key,
            address=op.address,
            method=method,
            spec=spec,
            doc=op.doc,
            messages=[
                MessageView(m.id, m.name, m.content_type, op.schema_id, m.auto_headers)
                for m in op.messages
            ],
            event_type=events,
            headers_type=headers_type,
        )
        bound = op.bindings
        required = [f"parameters: {params_type}"] if params else []
        if bound.key_required:  # the contract's key has no value: the caller gives it
            required.append("key: string")
        if required:
            view.options_type = f"{options} & {{ {'; '.join(required)} }}"
        else:
            view.options_type, view.options_default = options, " = {}"
        fields = {
            "key": bound.key,
            "qos": bound.qos,
            "retain": bound.retain,
            "exchange": bound.exchange,
            "exchangeType": bound.exchange_type,
            "queue": bound.queue,
            "routingKeys": list(bound.routing_keys) or None,
        }
        chosen = {name: value for name, value in fields.items() if value is not None}
        view.options = ts_value(chosen, 1) if chosen else ""
        view.key_expr = bound.key_expression
        views.append(view)
    return views


def _package_version(plan: Plan) -> str:
    if len(plan.contracts) == 1:
        version = plan.contracts[0].version
        if version is not None and _SEMVER.fullmatch(version):
            return version
    return "0.0.0"


def _json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=True) + "\n"


def package_json(plan: Plan, package: str) -> str:
    description = naming.comment_text(f"Events of {plan.titles}, generated by evreg", limit=200)
    return _json(
        {
            "name": package,
            "version": _package_version(plan),
            "description": description,
            "type": "module",
            "main": "./dist/src/index.js",
            "types": "./dist/src/index.d.ts",
            "exports": {".": {"types": "./dist/src/index.d.ts", "default": "./dist/src/index.js"}},
            "files": ["dist/src", "src"],
            "scripts": {
                "build": "tsc -p .",
                "test": "tsc -p . && node --test dist/tests/contract.test.js",
            },
            "engines": {"node": ">=20"},
            "dependencies": {"@evreg/runtime": RUNTIME_VERSION},
            "devDependencies": DEV_DEPENDENCIES,
        }
    )


TSCONFIG = _json(
    {
        "compilerOptions": {
            "target": "es2022",
            "module": "nodenext",
            "moduleResolution": "nodenext",
            "strict": True,
            "exactOptionalPropertyTypes": True,
            "noUncheckedIndexedAccess": True,
            "declaration": True,
            "outDir": "dist",
            "rootDir": ".",
            "types": ["node"],
        },
        "include": ["src", "tests"],
    }
)

FILTERS: dict[str, Callable[..., str]] = {"str": ts_str, "ident": ts_ident, "jsdoc": jsdoc}


def _render(template: str, **context: Any) -> str:
    return ascii_only(templating.render("typescript", FILTERS, template, **context))


def _examples(plan: Plan) -> list[dict[str, Any]]:
    out = []
    for message in plan.messages:
        for n, example in enumerate(message.examples):
            for part, type_name in (
                ("payload", message.payload_type),
                ("headers", message.headers_type),
            ):
                if part in example and type_name:
                    label = f"{message.id} example {example.get('name', n)} {part}"
                    out.append(
                        {
                            "label": label,
                            "type": _type_ref(type_name),
                            "value": ts_value(example[part]),
                        }
                    )
    return out


@dataclass(frozen=True, slots=True)
class TypeScriptRenderer:
    name: str = "typescript"

    @property
    def options(self) -> tuple[str, ...]:
        return (*tools.options(), *(f"{k}@{v}" for k, v in DEV_DEPENDENCIES.items()))

    def default_package(self, sources: Sequence[SourceContract]) -> str:
        """The contract's title in kebab case, or ``events`` for several contracts."""
        if len(sources) != 1:
            return "events"
        text = sources[0].contract.title or sources[0].subject
        return "-".join(w.lower() for w in naming.words(text)) or "events"

    def check_package(self, name: str) -> str:
        if len(name) > 214 or not _NPM_NAME.fullmatch(name) or name.startswith((".", "_")):
            raise CodegenError(
                f"--package {name!r}: use an npm package name (lower case letters, digits, "
                "'-', '.', '_' and '~', optionally @scope/name)"
            )
        return name

    def render(self, plan: Plan, package: str) -> dict[str, str]:
        header = "\n".join(f"// {line}" for line in header_lines(plan, self.name))
        models = types.render_models(
            plan.bundle.model_schema, header, [entity.name for entity in plan.bundle.entities]
        )
        sends = _views(plan.sends, "")
        receives = _views(plan.receives, "on")
        methods = [view.method for view in (*sends, *receives)]
        data = contract_data(plan, methods, f"evreg {evreg_version()}")
        context = {"header": header, "titles": plan.titles, "package": package}
        return {
            "package.json": package_json(plan, package),
            "tsconfig.json": TSCONFIG,
            "src/models.ts": ascii_only(models),
            "src/contract.ts": _render("contract.ts.j2", contract=ts_value(data), **context),
            "src/producer.ts": _render("producer.ts.j2", operations=sends, **context),
            "src/consumer.ts": _render("consumer.ts.j2", operations=receives, **context),
            "src/index.ts": _render("index.ts.j2", **context),
            "tests/examples.ts": _render("examples.ts.j2", examples=_examples(plan), **context),
            "tests/contract.test.ts": _render("contract.test.ts.j2", **context),
        }


RENDERER = TypeScriptRenderer()
