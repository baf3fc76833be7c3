"""What a subject search matches: names, titles, addresses, prose, property names; case-folded."""

from __future__ import annotations

from pathlib import Path

import yaml

from evreg.registry.store import search_text as st

REPO = Path(__file__).resolve().parents[2]


def test_an_asyncapi_contract_yields_its_names_addresses_and_prose() -> None:
    document = yaml.safe_load((REPO / "contracts" / "order_placed.yaml").read_text())
    lines = st.search_text("order_placed", document).splitlines()
    assert lines[0] == "order_placed"
    assert "orders" in lines  # info.title
    assert "orders.placed" in lines  # the channel address
    assert lines.count("orderplaced") == 1  # channel key, message key and name: once
    assert any("stock is reserved" in line for line in lines)  # a summary
    assert st.title_of("ASYNCAPI", document) == "orders"


def test_a_json_schema_yields_titles_descriptions_and_property_names_not_keywords() -> None:
    document = {
        "title": "Größe",
        "type": "object",
        "properties": {"customerId": {"type": "string", "description": "Who ORDERED"}},
        "$defs": {"Money": {"type": "number"}},
        "enum": ["not-a-name"],
    }
    lines = st.search_text("Sizes-Value", document).splitlines()
    assert lines[0] == "sizes-value"
    assert set(lines) == {"sizes-value", "grösse", "customerid", "money", "who ordered"}
    assert "object" not in lines and "string" not in lines and "not-a-name" not in lines
    assert st.title_of("JSON", document) == "Größe"
    assert st.title_of("JSON", ["not", "an", "object"]) is None


def test_queries_fold_like_the_text_and_escape_like_wildcards() -> None:
    assert st.fold("  STRASSE ") == st.fold("straße") == "strasse"
    assert st.like_contains("100%_a\\b") == "%100\\%\\_a\\\\b%"
    assert st.parse("{not json") is None
