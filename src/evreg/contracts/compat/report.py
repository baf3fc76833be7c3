"""What the compatibility engine returns: changes, findings, reports; levels and policies."""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from typing import Any, TypeVar

from evreg.contracts.compat.rules.ids import RuleId
from evreg.contracts.compat.rules.levels import Direction, Level, Policy

__all__ = ["Change", "Direction", "Finding", "Level", "Policy", "Report", "slot_init"]

_T = TypeVar("_T")


def slot_init(cls: type[_T]) -> type[_T]:
    """``cls`` (a frozen dataclass with slots, never subclassed) with an ``__init__`` that
    builds the instance as a twin class with the same slots and no ``__setattr__``, where each
    field is a plain slot store (the interpreter's fastest attribute write), then makes it a
    ``cls``: the same signature (annotations too), defaults and values, at a third of the cost
    of the generated one, which calls ``object.__setattr__`` per field to get past ``frozen``
    (callgrind, a frozen dataclass of eleven fields built positionally: about 16,900
    instructions that way, 9,650 through each slot's member descriptor, 5,300 this way; the
    engine makes one per change and per finding). Equality, hashing, ``repr``, ``replace``,
    pickling and immutability stay the dataclass's: the twin is the instance's class only inside
    ``__init__``."""
    params, body = [], []
    scope: dict[str, Any] = {
        "_twin": type(f"_{cls.__name__}Init", (), {"__slots__": cls.__slots__}),  # type: ignore[attr-defined]
        "_cls": cls,
        "_set_class": object.__setattr__,  # (past the frozen __setattr__, once)
    }
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    for f in fields:
        assert f.default_factory is dataclasses.MISSING and f.init  # (none of ours has them)
        if f.default is dataclasses.MISSING:
            params.append(f.name)
        else:
            params.append(f"{f.name}=_default_{f.name}")
            scope[f"_default_{f.name}"] = f.default
        body.append(f"        self.{f.name} = {f.name}\n")
    # the twin, the class and the defaults as closure cells, the function in the class's module
    # (as the dataclass's own: its __module__, and typing.get_type_hints reads its annotations)
    source = (
        f"def _make({', '.join(scope)}):\n"
        f"    def __init__(self, {', '.join(params)}):\n"
        '        _set_class(self, "__class__", _twin)\n'
        f"{''.join(body)}"
        "        self.__class__ = _cls\n"
        "    return __init__\n"
    )
    made: dict[str, Any] = {}
    exec(source, sys.modules[cls.__module__].__dict__, made)  # (our own field names)
    init = made["_make"](**scope)
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__annotations__ = {**{f.name: f.type for f in fields}, "return": None}
    setattr(cls, "__init__", init)  # noqa: B010 - (mypy refuses an assignment to a method)
    setattr(cls, "__init_subclass__", classmethod(_final))  # noqa: B010 - (as above)
    return cls


def _final(cls: type) -> None:
    """A subclass would be made its base by the ``__init__`` of ``slot_init``: refused."""
    raise TypeError(f"{cls.__mro__[1].__name__} is final: {cls.__name__} cannot derive from it")


@slot_init
@dataclass(frozen=True, slots=True)
class Change:
    """One difference between a writer schema and a reader schema.

    ``path`` is a JSON Pointer written as ``#/...`` into the reader document (the writer's for
    removals), as the Confluent registry reports it.
    """

    rule: RuleId
    path: str
    old: Any = None
    new: Any = None
    message: str | None = None  # AsyncAPI-level changes carry their own message
    channel: str | None = None
    message_name: str | None = None
    # Internal, used to build witnesses; not part of the public report.
    # writer_node / reader_node: JSON Pointers ("#/properties/a") into the writer and reader
    # documents of the schema nodes being compared when the change was found (the object schema
    # for property/required/additionalProperties changes, the string schema for maxLength, ...);
    # None when that side has no such node. instance_path: where an instance validated by those
    # nodes sits inside a whole event (("customer", "tags", 0)).
    writer_node: str | None = field(default=None, compare=False)
    reader_node: str | None = field(default=None, compare=False)
    instance_path: tuple[str | int, ...] = field(default=(), compare=False)


@slot_init
@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    path: str
    message: str
    breaking: bool
    direction: Direction = Direction.BACKWARD
    witness: Any = None
    witness_note: str | None = None
    has_witness: bool = False
    version: int | None = None  # index/number of the earlier version this pair involved
    channel: str | None = None
    message_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "path": self.path,
            "message": self.message,
            "breaking": self.breaking,
            "direction": self.direction.value,
        }
        if self.breaking or self.has_witness:
            out["witness"] = self.witness if self.has_witness else None
            if not self.has_witness:
                out["witness_note"] = self.witness_note
        if self.version is not None:
            out["version"] = self.version
        if self.channel is not None:
            out["channel"] = self.channel
        if self.message_name is not None:
            out["message_name"] = self.message_name
        return out


@slot_init
@dataclass(frozen=True, slots=True)
class Report:
    level: Level
    policy: Policy
    findings: tuple[Finding, ...]

    @property
    def is_compatible(self) -> bool:
        # a loop: cheaper than all()/any() over a generator, and read after every check
        for f in self.findings:  # noqa: SIM110
            if f.breaking:
                return False
        return True

    @property
    def breaking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.breaking)

    def to_dict(self) -> dict[str, Any]:
        return {
            "is_compatible": self.is_compatible,
            "level": self.level.value,
            "policy": self.policy.value,
            "findings": [f.to_dict() for f in self.findings],
        }
