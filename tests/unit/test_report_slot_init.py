"""``report.slot_init``: the ``__init__`` it gives a frozen slotted dataclass keeps what the
dataclass's own gives (signature with its annotations, defaults, values, errors), so that the
public ``Finding`` and ``Report`` read the same to ``inspect``/``typing`` as before."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
import typing

import pytest

from evreg.contracts.compat.report import Change, Finding, Report
from evreg.contracts.compat.rules import RuleId
from evreg.contracts.compat.witness.finder import WitnessResult
from evreg.contracts.compat.witness.streams import Hints

CLASSES = [Change, Finding, Report, WitnessResult, Hints]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_the_init_reads_as_the_dataclass_one(cls: type) -> None:
    fields = dataclasses.fields(cls)
    signature = inspect.signature(cls)
    assert list(signature.parameters) == [f.name for f in fields]
    for f in fields:
        parameter = signature.parameters[f.name]
        assert parameter.annotation == f.type, f.name
        expected = inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default
        assert parameter.default == expected, f.name
    hints = typing.get_type_hints(cls.__init__)
    assert hints == {**typing.get_type_hints(cls), "return": type(None)}
    assert cls.__init__.__module__ == cls.__module__


def test_values_errors_and_copies_are_the_dataclass_ones() -> None:
    change = Change(RuleId.TYPE_CHANGED, "#/a", 1, new=2, instance_path=("a",))
    assert (change.old, change.new, change.message, change.instance_path) == (1, 2, None, ("a",))
    assert dataclasses.replace(change, path="#/b").path == "#/b"
    assert pickle.loads(pickle.dumps(change)) == change
    with pytest.raises(dataclasses.FrozenInstanceError):
        change.path = "#/c"  # type: ignore[misc]
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'path'"):
        Change(RuleId.TYPE_CHANGED)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        Finding("r", "#", "m", True, colour=1)  # type: ignore[call-arg]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_instances_are_of_the_class_itself_and_it_is_final(cls: type) -> None:
    """The init builds the instance as a twin class with the same slots: it ends as ``cls``,
    frozen, and a subclass (which it would make its base) is refused."""
    made = cls(*(f"v{i}" for i, f in enumerate(dataclasses.fields(cls))))
    assert type(made) is cls
    assert [getattr(made, f.name) for f in dataclasses.fields(cls)] == [
        f"v{i}" for i in range(len(dataclasses.fields(cls)))
    ]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(made, dataclasses.fields(cls)[0].name, "other")
    with pytest.raises(TypeError, match="is final"):
        type("Derived", (cls,), {"__slots__": ()})
