"""AsyncAPI documents are checked against the official JSON Schema of their version.

The oracle is the official schema itself, read straight from the vendored file with plain
``jsonschema`` (no inlining, nothing left out): evreg refuses a document's structure exactly
when that validator does, and names the place.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from functools import cache
from importlib import resources
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

from evreg.contracts import ContractError, load_contract

SPECS = resources.files("evreg.contracts").joinpath("asyncapi_specs")


@cache
def official(version: str) -> Draft7Validator:
    schema = json.loads(SPECS.joinpath(f"{version}.0.json").read_text(encoding="utf-8"))
    registry: Registry[Any] = Registry().with_resource(
        schema["$id"], DRAFT7.create_resource(schema)
    )
    return Draft7Validator(schema, registry=registry.crawl())


V3: dict[str, Any] = {
    "asyncapi": "3.1.0",
    "info": {"title": "Streetlights", "version": "1.0.0", "x-team": "lights"},
    "servers": {"mosquitto": {"host": "test.mosquitto.org", "protocol": "mqtt"}},
    "channels": {
        "measured": {
            "address": "smartylighting/streetlights/1/0/event/{streetlightId}/lighting/measured",
            "parameters": {"streetlightId": {"description": "The ID of the streetlight."}},
            "messages": {"lightMeasured": {"$ref": "#/components/messages/lightMeasured"}},
        }
    },
    "operations": {
        "onLightMeasured": {
            "action": "receive",
            "channel": {"$ref": "#/channels/measured"},
            "messages": [{"$ref": "#/channels/measured/messages/lightMeasured"}],
        }
    },
    "components": {
        "messages": {
            "lightMeasured": {
                "name": "lightMeasured",
                "payload": {"type": "object", "properties": {"lumens": {"type": "integer"}}},
            }
        }
    },
}
V2: dict[str, Any] = {
    "asyncapi": "2.6.0",
    "info": {"title": "Account Service", "version": "1.0.0"},
    "channels": {
        "user/signedup": {
            "subscribe": {
                "operationId": "sendUserSignedUp",
                "message": {"name": "UserSignedUp", "payload": {"type": "object"}},
            }
        }
    },
}


def _set(document: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(document)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


# (document, a change, the pointer evreg must name)
BROKEN = [
    (V3, ("info", "bogusField"), 1, "#/info/bogusField"),
    (V3, ("channels", "measured", "notAField"), 2, "#/channels/measured/notAField"),
    (V3, ("operations", "onLightMeasured", "action"), "publish",
     "#/operations/onLightMeasured/action"),
    (V3, ("servers", "mosquitto", "protocol"), 5, "#/servers/mosquitto/protocol"),
    (V3, ("components", "messages", "lightMeasured", "contentTyp"), "a/b",
     "#/components/messages/lightMeasured/contentTyp"),
    (V2, ("info", "version"), 1, "#/info/version"),
    (V2, ("channels", "user/signedup", "subscribe", "operationID"), "x",
     "#/channels/user~1signedup/subscribe/operationID"),
    (V2, ("tags",), [{"description": "no name"}], "#/tags/0"),
]  # fmt: skip


@pytest.mark.parametrize(("document", "path", "value", "at"), BROKEN)
def test_a_structural_error_is_refused_where_the_official_schema_refuses_it(
    document: dict[str, Any], path: tuple[str, ...], value: Any, at: str
) -> None:
    broken = _set(document, path, value)
    version = broken["asyncapi"][:3]
    assert list(official(version).iter_errors(broken)), "the oracle accepts it: a bad case"
    with pytest.raises(ContractError, match=f"not valid AsyncAPI {re.escape(version)}") as caught:
        load_contract(broken, name="doc.yaml")
    pointers = [e.pointer for e in (caught.value, *caught.value.others)]
    assert at in pointers


@pytest.mark.parametrize("document", [V3, V2, _set(V3, ("asyncapi",), "3.0.0")])
def test_a_valid_document_loads_as_the_official_schema_accepts_it(document: dict[str, Any]) -> None:
    assert not list(official(document["asyncapi"][:3]).iter_errors(document))
    contract = load_contract(document)
    assert contract.version == document["asyncapi"]


def test_every_error_of_a_document_is_reported_once() -> None:
    broken = _set(_set(V3, ("info", "bogusField"), 1), ("channels", "measured", "notAField"), 2)
    with pytest.raises(ContractError) as caught:
        load_contract(broken)
    found = sorted(e.pointer or "" for e in (caught.value, *caught.value.others))
    assert found == ["#/channels/measured/notAField", "#/info/bogusField"]
    assert all("unknown field" in line for line in caught.value.lines())


def test_an_extension_field_is_allowed() -> None:
    load_contract(_set(V3, ("channels", "measured", "x-retention"), "7d"))


def test_the_vendored_schemas_are_those_the_readme_records() -> None:
    readme = SPECS.joinpath("README.md").read_text(encoding="utf-8")
    recorded = dict(re.findall(r"\| (\S+\.json) \| ([0-9a-f]{64}) \|", readme))
    assert set(recorded) == {f"{v}.0.json" for v in ("2.0", "2.1", "2.2", "2.3", "2.4", "2.5",
                                                     "2.6", "3.0", "3.1")}  # fmt: skip
    for name, digest in recorded.items():
        assert hashlib.sha256(SPECS.joinpath(name).read_bytes()).hexdigest() == digest, name
    assert "Apache-2.0" in readme and "@asyncapi/specs" in readme
    assert "Apache License" in SPECS.joinpath("LICENSE").read_text(encoding="utf-8")


def test_a_ref_where_the_spec_says_reference_or_schema_is_accepted() -> None:
    """The official schema's ``oneOf: [Reference, Schema]`` refuses every ``$ref`` (it is a valid
    JSON Schema too) when a document is validated as written: evreg reads it as "either"."""
    document = copy.deepcopy(V3)
    message = document["components"]["messages"]["lightMeasured"]
    message["bindings"] = {"kafka": {"key": {"$ref": "#/components/schemas/Id"}}}
    document["components"]["schemas"] = {"Id": {"type": "string"}}
    assert list(official("3.1").iter_errors(document)), "the official schema's quirk is gone"
    load_contract(document)
    message["bindings"]["kafka"]["key"] = 5  # neither a Reference nor a schema
    with pytest.raises(ContractError, match=r"not valid AsyncAPI 3\.1"):
        load_contract(document)
