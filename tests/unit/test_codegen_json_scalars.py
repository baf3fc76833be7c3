"""Generated enums and literals of numbers or booleans match values of their own JSON type only
(``evreg.codegen.python.json_scalars`` writes them, ``evreg.runtime.json_scalars`` checks). The
oracle is jsonschema: each value is accepted by the generated model exactly when the property's
schema accepts it."""

from __future__ import annotations

import importlib.util
import json
import sys
from types import ModuleType
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

import evreg
from evreg.codegen import SourceContract, plan_python, subject_for
from evreg.codegen.python.json_scalars import exact_scalars

PROPERTIES: dict[str, Any] = {
    "one": {"const": 1},
    "yes": {"const": True},
    "small": {"enum": [1, 2, 3]},
    "typed": {"type": "integer", "enum": [0, 1]},
    "half": {"enum": [-0.5, False]},
    "maybe": {"enum": [None, 1]},
    "word": {"enum": ["a", "b"]},
    "name": {"const": "k"},
}
VALUES = [0, 1, 2, -0.5, 1.0, True, False, None, "a", "1", "k"]


def _document() -> str:
    payload = {"type": "object", "properties": PROPERTIES}
    return json.dumps(
        {
            "asyncapi": "2.6.0",
            "info": {"title": "scalars", "version": "1.0.0"},
            "channels": {"c": {"subscribe": {"message": {"name": "M", "payload": payload}}}},
        }
    )


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, ModuleType]:
    contract = evreg.load_contract(_document(), name="scalars.json")
    subject = subject_for("scalars.json", contract.document)
    source = SourceContract(contract, "scalars.json", subject)
    plan = plan_python([source], package="scalars_pkg")
    text = next(f.content for f in plan.files if f.path.endswith("/models.py"))
    path = tmp_path_factory.mktemp("scalars") / "scalars_models.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("scalars_models", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["scalars_models"] = module
    spec.loader.exec_module(module)
    return text, module


def test_numbers_and_booleans_get_the_exact_bases_and_strings_do_not(
    models: tuple[str, ModuleType],
) -> None:
    text, _ = models
    assert "class MSmall(JsonEnum):" in text
    assert "class MTyped(JsonIntEnum):" in text
    assert "class MHalf(JsonEnum):" in text
    assert "class MWord(Enum):" in text
    assert "Annotated[Literal[1], SAME_JSON_TYPE]" in text
    assert "Annotated[Literal[True], SAME_JSON_TYPE]" in text
    assert 'name: Literal["k"]' in text
    assert "from evreg.runtime.json_scalars import SAME_JSON_TYPE, JsonEnum, JsonIntEnum\n" in text


@pytest.mark.parametrize("prop", sorted(PROPERTIES))
def test_each_value_is_accepted_as_jsonschema_does(
    models: tuple[str, ModuleType], prop: str
) -> None:
    _, module = models
    oracle = jsonschema.Draft202012Validator(PROPERTIES[prop])
    for value in VALUES:
        body = json.dumps({prop: value})
        try:
            module.M.model_validate_json(body, strict=True)
            accepted = True
        except ValidationError:
            accepted = False
        assert accepted == oracle.is_valid(value), (prop, value)


def test_the_error_says_what_was_expected(models: tuple[str, ModuleType]) -> None:
    _, module = models
    with pytest.raises(ValidationError) as error:
        module.M.model_validate_json('{"small": true}', strict=True)
    assert "JSON true is not 1" in str(error.value)
    assert error.value.errors()[0]["loc"] == ("small",)


def test_members_given_in_python_still_pass(models: tuple[str, ModuleType]) -> None:
    _, module = models
    made = module.M(small=module.MSmall.INT_1, yes=True, one=1)
    assert made.model_dump(mode="json", exclude_unset=True) == {"small": 1, "yes": True, "one": 1}


def test_source_without_numbers_is_unchanged() -> None:
    source = (
        "from __future__ import annotations\n\nfrom enum import Enum\nfrom typing import Literal\n"
        '\nfrom pydantic import BaseModel\n\n\nclass A(Enum):\n    X = "x"\n\n\n'
        'class B(BaseModel):\n    a: A\n    k: Literal["k"]\n'
    )
    assert exact_scalars(source) == source


def test_imports_are_adjusted_on_a_utf8_line() -> None:
    source = (
        "from __future__ import annotations\n\nfrom enum import Enum\nfrom typing import Literal\n"
        "\nfrom pydantic import BaseModel, Field\n\n\nclass A(Enum):\n    X = 1\n\n\n"
        'class B(BaseModel):\n    a: A\n    k: Literal[2] = Field(description="é")  # é\n'
    )
    out = exact_scalars(source)
    assert "from enum import" not in out  # Enum is no longer used
    assert "from typing import Annotated, Literal\n" in out
    assert 'k: Annotated[Literal[2], SAME_JSON_TYPE] = Field(description="é")  # é\n' in out
    assert "class A(JsonEnum):" in out
    compile(out, "models.py", "exec")
