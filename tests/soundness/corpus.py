"""Seed schemas for the soundness fuzzer: realistic event schemas, each a standalone JSON Schema.

Taken from the example contracts (``contracts/``), the test fixtures (``tests/fixtures``), the
fuzzer's own extra seeds (``tests/soundness/seeds``: keywords the others lack) and, when
present, ``../shared/contracts``:

- a JSON Schema file gives its root schema, and each of its ``$defs``/``definitions`` entries
  (with the definitions attached, so that its ``$ref``s still resolve);
- an AsyncAPI document gives every ``components.schemas`` entry and every message payload and
  headers schema (components, channels, 2.x operations, message traits), each made standalone:
  ``#/components/schemas/X`` references become ``#/$defs/X`` (``#/definitions/X`` for the
  draft-07 copy) and the schemas they reach are attached. AsyncAPI's schema object is a draft-07
  superset, so each gives two seeds: one draft-07 (``$schema`` given) and one 2020-12 (no
  ``$schema``, as evreg reads a schema without one), so that both drafts' keywords are fuzzed.
  A message's ``examples`` payloads are attached as the payload schema's ``examples``.

This reads the files with PyYAML and JSON only: nothing of evreg's loaders is used.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DRAFT7 = "http://json-schema.org/draft-07/schema#"
COMPONENT_PREFIX = "#/components/schemas/"


@dataclass(frozen=True)
class Seed:
    name: str  # where it comes from: "contracts/order_placed.yaml#/components/schemas/Address"
    schema: dict[str, Any]

    @property
    def draft7(self) -> bool:
        return "draft-07" in str(self.schema.get("$schema", ""))


def corpus_files(repo: Path, shared: Path | None) -> list[Path]:
    roots = [
        repo / "contracts",
        repo / "tests" / "fixtures",
        repo / "tests" / "soundness" / "seeds",
    ]
    if shared is not None:
        roots.append(shared / "contracts")
    files = []
    for root in roots:
        if root.is_dir():
            files += sorted(
                p for p in root.rglob("*") if p.suffix in {".json", ".yaml", ".yml"} and p.is_file()
            )
    return files


def load_seeds(repo: Path, shared: Path | None) -> list[Seed]:
    """Every distinct seed schema of the corpus, in a stable order."""
    seen: set[str] = set()
    out: list[Seed] = []
    for path in corpus_files(repo, shared):
        try:
            text = path.read_text(encoding="utf-8")
            doc = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        except (OSError, ValueError, yaml.YAMLError):
            continue
        if not isinstance(doc, dict):
            continue
        label = _label(path, repo, shared)
        found = _asyncapi_seeds(doc, label) if "asyncapi" in doc else _schema_seeds(doc, label)
        for seed in found:
            key = json.dumps(seed.schema, sort_keys=True)
            if key not in seen and _self_contained(seed.schema):
                seen.add(key)
                out.append(seed)
    return out


def _label(path: Path, repo: Path, shared: Path | None) -> str:
    if shared is not None and path.is_relative_to(shared):
        return "shared/" + path.relative_to(shared).as_posix()
    return path.relative_to(repo).as_posix()


def _schema_seeds(doc: dict[str, Any], label: str) -> Iterator[Seed]:
    if not any(k in doc for k in ("$schema", "type", "properties", "allOf", "anyOf", "oneOf")):
        return
    yield Seed(label, doc)
    for key in ("$defs", "definitions"):
        defs = doc.get(key)
        if not isinstance(defs, dict):
            continue
        for name, sub in defs.items():
            if isinstance(sub, dict) and sub:
                schema = {k: v for k, v in sub.items() if k != key}
                if "$schema" in doc:
                    schema = {"$schema": doc["$schema"], **schema}
                schema[key] = defs
                yield Seed(f"{label}#/{key}/{name}", schema)


def _asyncapi_seeds(doc: dict[str, Any], label: str) -> Iterator[Seed]:
    components = doc.get("components") if isinstance(doc.get("components"), dict) else {}
    assert isinstance(components, dict)
    schemas = components.get("schemas") if isinstance(components.get("schemas"), dict) else {}
    assert isinstance(schemas, dict)
    roots: list[tuple[str, Any, list[Any]]] = [
        (f"#/components/schemas/{name}", s, []) for name, s in schemas.items()
    ]
    for where, message in _messages(doc):
        examples = [
            e["payload"]
            for e in message.get("examples", [])
            if isinstance(e, dict) and "payload" in e
        ]
        parts = [message, *(_deref(doc, t) for t in message.get("traits", []) or [])]
        for part in parts:
            if not isinstance(part, dict):
                continue
            for field in ("payload", "headers"):
                schema = _deref(doc, part.get(field))
                if isinstance(schema, dict) and "schemaFormat" in schema and "schema" in schema:
                    fmt = str(schema["schemaFormat"])
                    if "avro" in fmt or "protobuf" in fmt or "raml" in fmt:
                        continue
                    schema = _deref(doc, schema["schema"])
                if isinstance(schema, dict):
                    extra = examples if field == "payload" and part is message else []
                    roots.append((f"{where}/{field}", schema, extra))
    for where, schema, examples in roots:
        if not isinstance(schema, dict) or not schema:
            continue
        for draft7 in (True, False):
            made = _standalone(schema, schemas, draft7)
            if made is None:
                continue
            if examples and "examples" not in made:
                made["examples"] = copy.deepcopy(examples)
            suffix = " (draft-07)" if draft7 else " (2020-12)"
            yield Seed(f"{label}{where}{suffix}", made)


def _messages(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    components = doc.get("components") or {}
    for name, message in (components.get("messages") or {}).items():
        found = _deref(doc, message)
        if isinstance(found, dict):
            yield f"#/components/messages/{name}", found
    for key, channel in (doc.get("channels") or {}).items():
        if not isinstance(channel, dict):
            continue
        for mkey, message in (channel.get("messages") or {}).items():  # 3.0
            found = _deref(doc, message)
            if isinstance(found, dict):
                yield f"#/channels/{key}/messages/{mkey}", found
        for op in ("publish", "subscribe"):  # 2.x
            operation = channel.get(op)
            if not isinstance(operation, dict):
                continue
            message = _deref(doc, operation.get("message"))
            if isinstance(message, dict):
                alternatives = message.get("oneOf", [message])
                for i, alt in enumerate(alternatives):
                    found = _deref(doc, alt)
                    if isinstance(found, dict):
                        yield f"#/channels/{key}/{op}/message/{i}", found


def _deref(doc: dict[str, Any], node: Any) -> Any:
    """Follow local ``$ref``s (a few hops) to the node they name."""
    for _ in range(8):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            return node
        ref = node["$ref"]
        if not ref.startswith("#/"):
            return None
        target: Any = doc
        for raw in ref[2:].split("/"):
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(target, dict) and part in target:
                target = target[part]
            else:
                return None
        node = target
    return None


def _standalone(
    schema: dict[str, Any], components: dict[str, Any], draft7: bool
) -> dict[str, Any] | None:
    """``schema`` with component references rewritten and the components it reaches attached."""
    defs_key = "definitions" if draft7 else "$defs"
    reached: dict[str, Any] = {}
    todo = [schema]
    while todo:
        for ref in _refs(todo.pop()):
            if not ref.startswith(COMPONENT_PREFIX):
                return None  # a reference this extraction cannot make standalone
            name = ref[len(COMPONENT_PREFIX) :]
            if "/" in name or name not in components:
                return None
            if name not in reached:
                reached[name] = components[name]
                todo.append(components[name])
    out = _rewrite(copy.deepcopy(schema), f"#/{defs_key}/")
    assert isinstance(out, dict)
    if reached:
        out[defs_key] = {
            n: _rewrite(copy.deepcopy(s), f"#/{defs_key}/") for n, s in reached.items()
        }
    if draft7:
        out = {"$schema": DRAFT7, **out}
    return out


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key not in {"examples", "example", "default", "const", "enum"}:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _rewrite(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(COMPONENT_PREFIX):
                out[key] = prefix + value[len(COMPONENT_PREFIX) :]
            elif key in {"examples", "example", "default", "const", "enum"}:
                out[key] = value
            else:
                out[key] = _rewrite(value, prefix)
        return out
    if isinstance(node, list):
        return [_rewrite(v, prefix) for v in node]
    return node


def _self_contained(schema: dict[str, Any]) -> bool:
    """Every ``$ref`` is local (``#...``): the fuzzer has no other documents to resolve."""
    return all(ref.startswith("#") for ref in _refs(schema))
