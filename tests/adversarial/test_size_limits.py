"""Big schemas: the size bounds (``evreg.contracts.limits``) and the shortcuts that keep a flat
object of N properties O(N) to load and check.

- an object over ``max_properties`` or a document over ``max_nodes`` is a ContractError at the
  pointer of the offending ``properties`` (or ``#``), for the main document and for references;
- the meta-schema check with its shortcuts (repeated leaves checked once, ``properties`` walked
  from the smaller side) agrees with jsonschema's own meta-schema validator, and an invalid
  leaf is still found among 50,000 valid ones;
- the witness search stops after ``MAX_SEARCHES`` findings between two schemas, and says so;
- the registry refuses a schema over a bound set by ``EVREG_MAX_PROPERTIES``, stores nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from jsonschema.validators import validator_for

from evreg import ContractError, check_compatibility, load_contract
from evreg.contracts import pointer
from evreg.contracts.compat.witness import MAX_SEARCHES
from evreg.contracts.fast_properties import fast_properties
from evreg.contracts.jsonschema_doc import check_schema, forget_checked_schemas
from evreg.contracts.limits import UNLIMITED, Limits
from evreg.contracts.model import DRAFT4, DRAFT7, DRAFT2020
from evreg.contracts.patterns import PatternError
from evreg.registry.settings import Settings

from .conftest import Server, dump
from .test_fuzz import FUZZ, SCHEMAS


def flat(count: int, leaf: Any = None) -> dict[str, Any]:
    props = {f"p{i}": {"type": "string"} if leaf is None else leaf for i in range(count)}
    return {"type": "object", "properties": props}


# ------------------------------------------------------------------------------ the bounds


def test_an_object_over_the_bound_is_refused_at_its_properties() -> None:
    load_contract(flat(10_000))  # at the default bound
    with pytest.raises(ContractError) as caught:
        load_contract(json.dumps(flat(10_001)), name="big.json")
    error = caught.value
    assert (error.source, error.pointer) == ("big.json", "#/properties")
    assert "10,001 properties" in error.message and "10,000" in error.message


def test_the_pointer_names_the_nested_object() -> None:
    doc = {"type": "object", "properties": {"a/b": {"type": "array", "items": flat(6)}}}
    with pytest.raises(ContractError) as caught:
        load_contract(doc, limits=Limits(max_properties=5))
    assert caught.value.pointer == "#/properties/a~1b/items/properties"
    load_contract(doc, limits=Limits(max_properties=6))


def test_the_node_bound_counts_objects() -> None:
    doc = flat(9)  # the root, its properties object and 9 leaves: 11 objects
    load_contract(doc, limits=Limits(max_nodes=11))
    with pytest.raises(ContractError) as caught:
        load_contract(doc, limits=Limits(max_nodes=10))
    assert caught.value.pointer == "#"
    assert "more than 10 objects" in caught.value.message


def test_asyncapi_payloads_and_references_are_bounded_too() -> None:
    asyncapi = {
        "asyncapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "components": {"messages": {"M": {"payload": flat(3)}}},
    }
    with pytest.raises(ContractError) as caught:
        load_contract(asyncapi, limits=Limits(max_properties=2))
    assert caught.value.pointer == "#/components/messages/M/payload/properties"

    main = {"$ref": "common.json"}
    with pytest.raises(ContractError) as caught:
        load_contract(main, name="main.json", references={"common.json": flat(3)}, limits=Limits(2))
    assert (caught.value.source, caught.value.pointer) == ("common.json", "#/properties")


def test_unlimited_loads_100000_properties() -> None:
    contract = load_contract(flat(100_000), limits=UNLIMITED)
    assert contract.schema is not None


def test_registry_settings_read_the_bounds() -> None:
    default = Settings.from_env({})
    assert (default.max_properties, default.max_nodes) == (10_000, 200_000)
    env = {"EVREG_MAX_PROPERTIES": "50", "EVREG_MAX_SCHEMA_NODES": "0"}
    assert (Settings.from_env(env).max_properties, Settings.from_env(env).max_nodes) == (50, None)
    for bad in ("-1", "ten", "1.5"):
        with pytest.raises(ValueError, match="EVREG_MAX_PROPERTIES"):
            Settings.from_env({"EVREG_MAX_PROPERTIES": bad})


# ------------------------------------------------------------- the meta-schema shortcuts

INVALID_LEAVES = st.sampled_from(
    [
        {"type": "strin"},
        {"minLength": -1},
        {"pattern": "("},
        {"enum": "a"},
        {"required": "a"},
        {"type": ["string", "string"]},
    ]
)
MAYBE_INVALID = st.recursive(
    st.one_of(SCHEMAS, INVALID_LEAVES),
    lambda inner: st.one_of(
        st.builds(
            lambda props: {"type": "object", "properties": props},
            st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), inner, max_size=4),
        ),
        st.builds(lambda xs: {"anyOf": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(
            lambda ps: {"patternProperties": ps},
            st.dictionaries(st.sampled_from(["^a", "(", "b$"]), inner, max_size=2),
        ),
        st.builds(lambda d: {"$defs": {"A": d, "B": d}, "properties": {"x": d}}, inner),
    ),
    max_leaves=10,
)


def _all_errors(errors: Iterator[jsonschema.ValidationError]) -> set[tuple[Any, ...]]:
    out: set[tuple[Any, ...]] = set()
    for error in errors:
        out.add(tuple(error.absolute_path))
        out |= _all_errors(iter(error.context or ()))
    return out


@FUZZ
@given(schema=MAYBE_INVALID, draft=st.sampled_from([DRAFT2020, DRAFT7, DRAFT4]))
@example(schema={"patternProperties": {"(": {}}}, draft=DRAFT4)  # found by this test in CI
@example(schema={"patternProperties": {"(": {}}}, draft=DRAFT7)
def test_the_meta_schema_check_agrees_with_jsonschema(schema: Any, draft: str) -> None:
    """Valid for evreg exactly when valid for jsonschema's own meta-schema validator, and an
    error's pointer is a place jsonschema finds an error too. One refusal more: a pattern that is
    no regular expression (by jsonschema's own ``regex`` format check) is refused in every draft,
    also where the draft's meta-schema does not check it (draft-04's ``patternProperties`` names):
    evreg refuses a pattern it cannot run rather than keep a schema it cannot evaluate."""
    cls = validator_for({"$schema": draft})
    official = cls(cls.META_SCHEMA, format_checker=cls.FORMAT_CHECKER)
    paths = _all_errors(official.iter_errors(schema))
    forget_checked_schemas()
    try:
        check_schema(schema, draft, at="#")
    except PatternError as error:
        assert paths or not cls.FORMAT_CHECKER.conforms(error.pattern, "regex"), error
        if paths:
            found = {pointer.join("#", *path) for path in paths}
            assert error.pointer in found, (error, found)
    except ContractError as error:
        assert paths, f"evreg refused a schema jsonschema accepts: {error}"
        found = {pointer.join("#", *path) for path in paths}
        assert error.pointer in found, (error, found)
    else:
        assert not paths, f"evreg accepted a schema jsonschema refuses: {paths}"


def test_an_invalid_leaf_among_50000_valid_ones_is_found() -> None:
    doc = flat(50_000)
    doc["properties"]["p31337"] = {"type": "strin"}
    with pytest.raises(ContractError) as caught:
        load_contract(doc, limits=UNLIMITED)
    assert caught.value.pointer == "#/properties/p31337/type"
    doc = flat(3, {"type": "strin"})  # repeated invalid leaves: the first one is named
    with pytest.raises(ContractError) as caught:
        load_contract(doc)
    assert caught.value.pointer == "#/properties/p0/type"


def test_pattern_property_names_are_checked_even_for_repeated_leaves() -> None:
    doc = {"patternProperties": {"^a": {"type": "string"}, "(": {"type": "string"}}}
    with pytest.raises(ContractError) as caught:
        load_contract(doc)
    assert (caught.value.pointer or "").startswith("#/patternProperties")


@pytest.mark.parametrize(
    ("schema", "instance"),
    [
        (flat(50), {"p1": "a"}),
        (flat(50), {"p1": 1}),
        (flat(2), {"p1": 1, "x": 1, "y": 2}),
        ({**flat(5), "additionalProperties": False}, {"p1": "a", "zz": 1}),
        ({**flat(5), "unevaluatedProperties": False}, {"p1": "a", "zz": 1}),
        ({**flat(5), "unevaluatedProperties": False}, {"p1": "a"}),
        ({"properties": {"a": False, "b": True, "c": {}}}, {"a": 1}),
        ({"properties": {"a": False, "b": True, "c": {}}}, {"b": 1}),
        ({"properties": {"a": {"type": "integer"}}}, []),
    ],
)
def test_fast_properties_gives_jsonschemas_verdict(schema: Any, instance: Any) -> None:
    for cls in (jsonschema.Draft202012Validator, jsonschema.Draft7Validator):
        if "unevaluatedProperties" in schema and cls is not jsonschema.Draft202012Validator:
            continue
        expected = cls(schema).is_valid(instance)
        assert fast_properties(cls)(schema).is_valid(instance) is expected


# ------------------------------------------------------------------------- the witnesses


def test_witness_searches_stop_after_the_cap_and_say_so() -> None:
    small = {"type": "object", "properties": {"id": {"type": "string"}}}
    report = check_compatibility(small, flat(MAX_SEARCHES + 50), "BACKWARD")
    breaking = [f for f in report.findings if f.breaking]
    assert len(breaking) == MAX_SEARCHES + 50
    searched = [f for f in breaking if not (f.witness_note or "").startswith("not searched")]
    assert len(searched) == MAX_SEARCHES
    reader = jsonschema.Draft202012Validator(flat(MAX_SEARCHES + 50))
    writer = jsonschema.Draft202012Validator(small)
    for finding in searched:
        assert finding.has_witness, finding
        assert writer.is_valid(finding.witness) and not reader.is_valid(finding.witness)
    for finding in breaking[MAX_SEARCHES:]:
        assert not finding.has_witness
        assert f"{MAX_SEARCHES} findings" in (finding.witness_note or "")


# ------------------------------------------------------------------------- the registry


@pytest.fixture(scope="module")
def bounded(backend_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(backend_url, tmp_path_factory.mktemp("logs"), EVREG_MAX_PROPERTIES="20")
    yield srv.start()
    srv.stop()


def test_the_operator_bound_is_enforced_by_the_registry(bounded: Server, backend_url: str) -> None:
    url = f"{bounded.url}/subjects/bounded-value/versions"
    ok = httpx.post(url, json={"schema": json.dumps(flat(20)), "schemaType": "JSON"}, timeout=60)
    assert ok.status_code == 200, ok.text
    before = dump(backend_url)
    doc = {"type": "object", "properties": {"inner": flat(21)}}
    r = httpx.post(url, json={"schema": json.dumps(doc), "schemaType": "JSON"}, timeout=60)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error_code"] == 42201
    assert "#/properties/inner/properties" in body["message"], body
    assert "at most 20" in body["message"], body
    assert dump(backend_url) == before
