"""The OpenAPI document's version and application patterns say exactly what the server
accepts (``parse_version``, ``application_parameter``)."""

from __future__ import annotations

import random
import re

import pytest
import regress

from evreg.registry import errors
from evreg.registry.api.openapi_inputs import VERSION, describe_inputs
from evreg.registry.flow import application_parameter
from evreg.registry.inputs import parse_version

NUMBERS = [0, 1, 9, 10, 99, 999_999_999, 1_000_000_000, 2_000_000_000, 2_147_483_639]
NUMBERS += [2_147_483_640, 2_147_483_647, 2_147_483_648, 2_147_483_699, 3_000_000_000, 10**10]


def _accepted(text: str) -> bool:
    try:
        parse_version(text)
    except errors.InvalidVersion:
        return False
    return True


@pytest.mark.parametrize("seed", range(3))
def test_the_version_pattern_is_what_the_server_accepts(seed: int) -> None:
    pattern = re.compile(VERSION["pattern"])
    rnd = random.Random(seed)
    numbers = NUMBERS + [rnd.randint(-5, 3 * 10**9) for _ in range(20_000)]
    texts = [str(n) for n in numbers] + [f"{n}.0" for n in numbers[:50]]
    texts += ["latest", "-1", "-1.0", "007", "1.5", "1e3", " 1", "1_0", "", "LATEST", "+1"]
    for text in texts:
        assert bool(pattern.search(text)) == _accepted(text), text


def _application_accepted(text: str) -> bool:
    try:
        application_parameter(text)
    except errors.RegistryError:
        return False
    return True


@pytest.mark.parametrize("seed", range(3))
def test_the_application_pattern_is_what_the_server_accepts(seed: int) -> None:
    """The ``application`` query parameter's pattern, run by an ECMA-262 engine (``regress``,
    as a client reading the document would), against the server's own check."""
    documented = describe_inputs(
        {"paths": {"/x": {"post": {"parameters": [{"in": "query", "name": "application"}]}}}}
    )
    schema = documented["paths"]["/x"]["post"]["parameters"][0]["schema"]
    pattern = regress.Regex(schema["pattern"], "u")
    rnd = random.Random(seed)
    alphabet = "ab \t\n\x00\x1f\x7f\x85\xa0\u2003\u3000\ufeff\u200b\U0001f600"
    texts = ["", " ", "a", " a ", "x" * 200, "x" * 201, f" {'x' * 200} ", "a b", "\u3000b\u3000"]
    texts += ["".join(rnd.choices(alphabet, k=rnd.randint(0, 6))) for _ in range(5_000)]
    texts += ["".join(rnd.choices("xy ", k=rnd.randint(195, 205))) for _ in range(500)]
    for text in texts:
        assert (pattern.find(text) is not None) == _application_accepted(text), repr(text)
