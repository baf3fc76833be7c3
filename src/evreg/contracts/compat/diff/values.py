"""The diff of annotations, strings, numbers and enums: keywords that bound a single value."""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from evreg.contracts.compat.diff import changes
from evreg.contracts.compat.diff.base import DifferBase
from evreg.contracts.compat.diff.changes import (
    MISSING,
    InstancePath,
    Path,
    is_number,
    json_eq,
    json_key,
)
from evreg.contracts.compat.diff.schema_view import Node
from evreg.contracts.compat.report import Change
from evreg.contracts.compat.rules import BOUND_RULES, RuleId

__all__ = ["ValueRules", "bound", "enum_values", "json_eq"]

R = RuleId

_META = (("id", R.ID_CHANGED), ("title", R.TITLE_CHANGED), ("description", R.DESCRIPTION_CHANGED))
_NUMBER_BOUNDS = ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum")
_LENGTHS = ("maxLength", "minLength")
_LOWER = ("minimum", "exclusiveMinimum")
_UPPER = ("maximum", "exclusiveMaximum")
# (the bound, whether it is exclusive, the keyword that sets it)
Bound = tuple[float, bool, str]


class ValueRules(DifferBase):
    """Metadata, ``string``, ``number``/``integer`` and ``enum``/``const`` nodes."""

    def meta(
        self, writer: Node, reader: Node, path: Path, at: InstancePath, out: list[Change]
    ) -> None:
        before_meta, after_meta = writer.meta, reader.meta
        for attr, rule in _META:
            before = getattr(before_meta, attr, None)
            after = getattr(after_meta, attr, None)
            if before != after:
                out.append(changes.change(rule, path, writer, reader, at, before, after))
        before_default = (
            before_meta.default if before_meta is not None and before_meta.has_default else MISSING
        )
        after_default = (
            after_meta.default if after_meta is not None and after_meta.has_default else MISSING
        )
        if before_default is not after_default and (
            before_default is MISSING
            or after_default is MISSING
            or not json_eq(before_default, after_default)
        ):
            out.append(
                changes.change(
                    R.DEFAULT_CHANGED,
                    path,
                    writer,
                    reader,
                    at,
                    None if before_default is MISSING else before_default,
                    None if after_default is MISSING else after_default,
                )
            )

    def string(
        self, writer: Node, reader: Node, path: Path, at: InstancePath, out: list[Change]
    ) -> None:
        w, r = writer.raw, reader.raw
        for keyword in _LENGTHS:  # (bound's test inline: most strings change neither)
            before, after = w.get(keyword), r.get(keyword)
            if before != after:
                _bound_values(before, after, keyword, writer, reader, path, at, out)
        before, after = w.get("pattern"), r.get("pattern")
        if before != after:
            rule = (
                R.PATTERN_ADDED
                if before is None
                else R.PATTERN_REMOVED
                if after is None
                else R.PATTERN_CHANGED
            )
            out.append(changes.change(rule, path + "/pattern", writer, reader, at, before, after))

    def number(
        self, writer: Node, reader: Node, path: Path, at: InstancePath, out: list[Change]
    ) -> None:
        if writer.integer != reader.integer:
            if writer.integer:
                rule = R.TYPE_EXTENDED
            elif _whole_multiples(writer) and not reader.view.draft4:
                rule = R.INTEGER_TYPE_IMPLIED_BY_MULTIPLE_OF  # draft-06 on: 2.0 is an integer
            else:
                rule = R.TYPE_NARROWED
            types = ("integer" if side.integer else "number" for side in (writer, reader))
            out.append(changes.change(rule, path, writer, reader, at, *types))
        writer_bounds, reader_bounds = _numeric_bounds(writer), _numeric_bounds(reader)
        integers = writer.integer and reader.integer
        for side, rule in (
            (_LOWER, R.LOWER_BOUND_NOT_NARROWED),
            (_UPPER, R.UPPER_BOUND_NOT_NARROWED),
        ):
            found: list[Change] = []
            for keyword in side:
                before, after = writer_bounds.get(keyword), reader_bounds.get(keyword)
                _bound_values(before, after, keyword, writer, reader, path, at, found)
            if found and not self.ok(found):
                # minimum <-> exclusiveMinimum: judge the bound the two keywords make together
                kept = _bound(reader_bounds, side, integers)
                if kept is not None and _not_narrowed(
                    _bound(writer_bounds, side, integers), kept, side
                ):
                    where = f"{path}/{kept[2]}"
                    found = [changes.change(rule, where, writer, reader, at, None, kept[0])]
            out.extend(found)
        factors = writer.raw.get("multipleOf"), reader.raw.get("multipleOf")
        if factors[0] != factors[1]:
            rule = _multiple_of(*factors)
            out.append(changes.change(rule, path + "/multipleOf", writer, reader, at, *factors))

    def enum(
        self, writer: Node, reader: Node, path: Path, at: InstancePath, out: list[Change]
    ) -> None:
        before, after = enum_values(writer.raw), enum_values(reader.raw)
        if before == after:
            return
        keyword = "const" if "const" in reader.raw and "enum" not in reader.raw else "enum"
        if after > before:
            rule = R.ENUM_ARRAY_EXTENDED
        elif after < before:
            rule = R.ENUM_ARRAY_NARROWED
        else:
            rule = R.ENUM_ARRAY_CHANGED
        out.append(
            changes.change(
                rule,
                f"{path}/{keyword}",
                writer,
                reader,
                at,
                _enum_list(writer.raw),
                _enum_list(reader.raw),
            )
        )


def bound(
    writer: Node, reader: Node, keyword: str, path: Path, at: InstancePath, out: list[Change]
) -> None:
    """A bound keyword (``maxLength``, ``minItems``...) added, removed, increased, decreased."""
    before, after = writer.raw.get(keyword), reader.raw.get(keyword)
    if before != after:  # (the common case, equal or absent on both sides, says nothing)
        _bound_values(before, after, keyword, writer, reader, path, at, out)


def _bound_values(
    before: Any,
    after: Any,
    keyword: str,
    writer: Node,
    reader: Node,
    path: Path,
    at: InstancePath,
    out: list[Change],
) -> None:
    if (
        before == after
        or (not is_number(before) and before is not None)
        or (not is_number(after) and after is not None)
    ):
        return
    rules = BOUND_RULES[keyword]
    if before is None:
        rule = rules.added
    elif after is None:
        rule = rules.removed
    else:
        rule = rules.increased if after > before else rules.decreased
    out.append(changes.change(rule, f"{path}/{keyword}", writer, reader, at, before, after))


def _numeric_bounds(node: Node) -> dict[str, Any]:
    raw = node.raw
    bounds = {keyword: raw.get(keyword) for keyword in _NUMBER_BOUNDS}
    if node.view.draft4:  # draft-04: exclusiveMaximum is a flag on maximum
        for flag, keyword in (("exclusiveMaximum", "maximum"), ("exclusiveMinimum", "minimum")):
            if bounds[flag] is True:
                bounds[flag], bounds[keyword] = bounds[keyword], None
            elif isinstance(bounds[flag], bool):
                bounds[flag] = None
    return bounds


def _bound(bounds: dict[str, Any], side: tuple[str, str], integers: bool) -> Bound | None:
    """The tighter of a side's two bound keywords (for integers, as an inclusive integer)."""
    inclusive, exclusive = (bounds.get(keyword) for keyword in side)
    upper = side is _UPPER
    found: Bound | None = None
    for value, is_open, keyword in ((inclusive, False, side[0]), (exclusive, True, side[1])):
        if not is_number(value):
            continue
        if integers:
            if upper:
                value = math.ceil(value) - 1 if is_open else math.floor(value)
            else:
                value = math.floor(value) + 1 if is_open else math.ceil(value)
            is_open = False
        if found is None or _not_narrowed((value, is_open, keyword), found, side):
            found = (value, is_open, keyword)  # at least as tight as the one found
    return found


def _not_narrowed(writer: Bound | None, reader: Bound, side: tuple[str, str]) -> bool:
    """The reader's bound lets through every number the writer's does."""
    if writer is None:
        return False
    (w, w_open, _), (r, r_open, _) = writer, reader
    if side is _UPPER:
        w, r = -w, -r
    return r < w or (r == w and (w_open or not r_open))


def _whole_multiples(node: Node) -> bool:
    """``multipleOf`` allows only whole numbers (it is a whole number itself)."""
    factor = node.raw.get("multipleOf")
    if not is_number(factor) or factor <= 0:
        return False
    try:
        return Fraction(str(factor)).denominator == 1
    except (ValueError, ZeroDivisionError):
        return False


def _multiple_of(before: Any, after: Any) -> RuleId:
    if before is None:
        return R.MULTIPLE_OF_ADDED
    if after is None:
        return R.MULTIPLE_OF_REMOVED
    try:
        b, a = Fraction(str(before)), Fraction(str(after))
    except (ValueError, ZeroDivisionError):
        return R.MULTIPLE_OF_CHANGED
    if a and (b / a).denominator == 1:
        return R.MULTIPLE_OF_REDUCED  # every multiple of the old value is one of the new
    if b and (a / b).denominator == 1:
        return R.MULTIPLE_OF_EXPANDED
    return R.MULTIPLE_OF_CHANGED


def _enum_list(raw: Mapping[str, Any]) -> list[Any]:
    values: list[Any] = []
    if isinstance(raw.get("enum"), list):
        values.extend(raw["enum"])
    if "const" in raw:
        values.append(raw["const"])
    return values


def enum_values(raw: Mapping[str, Any]) -> frozenset[str]:
    """The values an ``enum``/``const`` node allows, as canonical texts."""
    if "enum" in raw and "const" in raw:
        allowed = [v for v in _enum_list(raw) if json_eq(v, raw["const"])]
        return frozenset(json_key(v) for v in allowed[:1])
    return frozenset(map(json_key, _enum_list(raw)))
