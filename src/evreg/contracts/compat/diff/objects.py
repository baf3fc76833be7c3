"""The diff of object nodes: properties against content models, required, dependencies.

How an object treats properties it does not declare (its *content model*) decides what adding
or removing a property means: **open** (``additionalProperties`` absent or true: any value was
allowed), **closed** (false) or **partially open** (a schema in ``additionalProperties`` or
``patternProperties``). See docs/compatibility.md, "Content models".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

from evreg.contracts.compat.diff import changes
from evreg.contracts.compat.diff.base import DifferBase, unchanged
from evreg.contracts.compat.diff.changes import (
    EXTRA_PROPERTY,
    InstancePath,
    Path,
    dict_of,
    strings_of,
    sub_node,
    union,
)
from evreg.contracts.compat.diff.content_model import covering_schema, is_closed, is_open
from evreg.contracts.compat.diff.schema_view import Kinds, Node
from evreg.contracts.compat.diff.values import bound
from evreg.contracts.compat.report import Change
from evreg.contracts.compat.rules import RuleId
from evreg.contracts.pointer import escape

__all__ = ["ObjectRules", "added_unseen", "removed_unseen"]

R = RuleId

# The rules a property added to (removed from) an object can give without a sub-comparison:
# when the policy accepts all of them, a breaking_only walk skips the property unseen.
_ADDED_OPEN: Final = frozenset(
    {
        R.PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL,
        R.OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL,
    }
)
_ADDED_OPEN_REQUIRED: Final = frozenset(
    {
        R.REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL,
        R.REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL,
    }
)
_ADDED_CLOSED: Final = frozenset({R.OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL})
_ADDED_CLOSED_REQUIRED: Final = frozenset(
    {
        R.REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL,
        R.REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL,
    }
)
_REMOVED_OPEN: Final = frozenset({R.PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL})
_DEPENDENCY_KW: Final = frozenset({"dependencies", "dependentRequired", "dependentSchemas"})


def added_unseen(accepted: frozenset[RuleId], writer: Node) -> tuple[bool, bool]:
    """Can a property added to ``writer``'s object only give rules in ``accepted``: (an
    optional one, a required one)? A breaking-only walk then skips it unseen."""
    if is_open(writer):
        return accepted >= _ADDED_OPEN, accepted >= _ADDED_OPEN_REQUIRED
    if is_closed(writer):
        return accepted >= _ADDED_CLOSED, accepted >= _ADDED_CLOSED_REQUIRED
    return False, False


def removed_unseen(accepted: frozenset[RuleId], reader: Node) -> bool:
    """Can a property removed in ``reader``'s object only give rules in ``accepted``?"""
    return accepted >= _REMOVED_OPEN and is_open(reader)


class ObjectRules(DifferBase):
    """Object nodes: each property, ``required``, size bounds, undeclared members,
    ``patternProperties``, dependencies and ``propertyNames``."""

    def object(
        self, writer: Node, reader: Node, path: Path, at: InstancePath, out: list[Change]
    ) -> None:
        writer_props: Mapping[str, Any] = dict_of(writer.raw.get("properties"))
        reader_props: Mapping[str, Any] = dict_of(reader.raw.get("properties"))
        reader_required = strings_of(reader.raw.get("required"))
        same_draft = writer.view.draft == reader.view.draft
        skip_optional = skip_required = skip_removed = False
        required_set: frozenset[str] = frozenset()
        if self.breaking_only:  # which added/removed properties can only give accepted rules
            skip_optional, skip_required = added_unseen(self.accepted, writer)
            skip_removed = removed_unseen(self.accepted, reader)
            required_set = frozenset(reader_required)
        alike: set[str] | frozenset[str] = frozenset()
        writer_texts: dict[str, str] = {}
        reader_texts: dict[str, str] = {}
        by_content = self.cache.by_content
        if same_draft and self.cache.share and writer_props and reader_props:
            # properties written the same and plain on both sides, found at once: a long
            # history of a large schema compares each version's hundreds of them with the new
            writer_plain, writer_texts = writer.view.plain_properties(writer_props)
            reader_plain, reader_texts = reader.view.plain_properties(reader_props)
            alike = {name for name, _ in writer_plain & reader_plain}
            # and those with `$ref`s written the same, reaching schemas written the same
            alike.update(
                name
                for name, _ in writer.view.ref_properties(writer_props)
                & reader.view.ref_properties(reader_props)
                if self.cache.same_with_refs(
                    writer.view, reader.view, writer_props[name], reader_props[name]
                )
            )
        for name in union(writer_props, reader_props):
            if name in alike:
                continue  # written and meaning the same: unchanged (as below, found at once)
            if name in writer_props:
                if name in reader_props:
                    writer_text, reader_text = writer_texts.get(name), reader_texts.get(name)
                    if writer_text is not None and reader_text is not None:
                        # two plain schemas compared before (against an earlier version) and
                        # found without a change: what `pair` would answer from its memo
                        draft = writer.view.draft
                        key = (writer_text, reader_text, draft, self.policy, self.breaking_only)
                        memo = by_content.get(key)
                        if memo is not None and not memo[2]:
                            continue
                    before, after = writer_props[name], reader_props[name]
                    if (
                        same_draft
                        and before == after
                        and (
                            unchanged(writer, reader, after)
                            or self.cache.same_with_refs(writer.view, reader.view, before, after)
                        )
                    ):
                        continue  # the common case in a large schema: nothing to type or compare
                    p = f"{path}/properties/{escape(name)}"
                    out.extend(
                        self.pair(
                            writer, before, reader, after, ("properties", name), p, (*at, name)
                        )
                    )
                    continue
                if skip_removed:
                    continue
            elif skip_required if name in required_set else skip_optional:
                continue
            p = f"{path}/properties/{escape(name)}"
            child_at = (*at, name)
            if name not in reader_props:
                writer_child = writer.child(writer_props[name], "properties", name)
                self._property_removed(writer, reader, name, writer_child, p, child_at, out)
            else:
                reader_child = reader.child(reader_props[name], "properties", name)
                is_required = name in reader_required
                self._property_added(
                    writer, reader, name, reader_child, is_required, p, child_at, out
                )
        self.object_frame(writer, reader, writer_props, reader_props, path, at, out)

    def object_frame(
        self,
        writer: Node,
        reader: Node,
        writer_props: Mapping[str, Any],
        reader_props: Mapping[str, Any],
        path: Path,
        at: InstancePath,
        out: list[Change],
    ) -> None:
        """The changes of two object nodes outside their properties: ``required``, size
        bounds, undeclared members, ``patternProperties``, dependencies, ``propertyNames``.
        Of the properties, only the names matter (``required``'s rules ask whether the writer
        declares a name newly required)."""
        if "required" in writer.raw or "required" in reader.raw:  # (absent on both: nothing)
            self._required(writer, reader, writer_props, reader_props, path, at, out)
        bound(writer, reader, "maxProperties", path, at, out)
        bound(writer, reader, "minProperties", path, at, out)
        extra_at = (*at, EXTRA_PROPERTY)
        for keyword in ("additionalProperties", "unevaluatedProperties"):
            if keyword in writer.raw or keyword in reader.raw:  # (absent on both: nothing)
                self.extra(writer, reader, keyword, keyword, path, extra_at, out)
        if "patternProperties" in writer.raw or "patternProperties" in reader.raw:
            self._pattern_properties(writer, reader, path, at, out)
        if not (_DEPENDENCY_KW.isdisjoint(writer.raw) and _DEPENDENCY_KW.isdisjoint(reader.raw)):
            self._dependencies(writer, reader, path, at, out)
        if "propertyNames" not in writer.raw and "propertyNames" not in reader.raw:
            return
        names = self.compare(
            sub_node(writer, "propertyNames"),
            sub_node(reader, "propertyNames"),
            path + "/propertyNames",
            at,
        )
        # a propertyNames schema validates names, not the object: a witness is an object
        out.extend(replace(c, writer_node=writer.ptr, reader_node=reader.ptr) for c in names)

    def _required(
        self,
        writer: Node,
        reader: Node,
        writer_props: Mapping[str, Any],
        reader_props: Mapping[str, Any],
        path: Path,
        at: InstancePath,
        out: list[Change],
    ) -> None:
        writer_required = strings_of(writer.raw.get("required"))
        reader_required = strings_of(reader.raw.get("required"))
        if writer_required == reader_required:
            return  # (the same names in the same order: nothing added or removed)
        required_before, required_after = set(writer_required), set(reader_required)
        for name in reader_required:
            if name in required_before:
                continue
            p = f"{path}/required/{escape(name)}"
            if name in writer_props:
                after = reader_props.get(name)
                default = isinstance(after, dict) and "default" in after
                rule = (
                    R.REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED
                    if default
                    else R.REQUIRED_ATTRIBUTE_ADDED
                )
                out.append(changes.change(rule, p, writer, reader, at, None, name))
            elif name not in reader_props:
                rule = R.REQUIRED_UNDECLARED_PROPERTY_ADDED
                out.append(changes.change(rule, p, writer, reader, at, None, name))
        for name in writer_required:
            if name not in required_after:
                p = f"{path}/required/{escape(name)}"
                rule = R.REQUIRED_ATTRIBUTE_REMOVED
                out.append(changes.change(rule, p, writer, reader, at, name, None))

    def _property_removed(
        self,
        writer: Node,
        reader: Node,
        name: str,
        writer_child: Node,
        p: Path,
        child_at: InstancePath,
        out: list[Change],
    ) -> None:
        parent_at = child_at[:-1]
        if is_open(reader):
            rule = R.PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL
            out.append(changes.change(rule, p, writer, reader, parent_at, name, None))
            return
        covering = covering_schema(reader, name)
        if covering is not None:
            inner = self.compare(writer_child, covering, p, child_at)
            out.extend(inner)
            rule = (
                R.PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                if self.ok(inner)
                else R.PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            )
        elif writer_child.kind is Kinds.FALSE:
            rule = R.PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL
        else:
            rule = R.PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL
        out.append(changes.change(rule, p, writer, reader, parent_at, name, None))

    def _property_added(
        self,
        writer: Node,
        reader: Node,
        name: str,
        reader_child: Node,
        required: bool,
        p: Path,
        child_at: InstancePath,
        out: list[Change],
    ) -> None:
        default = "default" in reader_child.raw
        parent_at = child_at[:-1]
        if is_open(writer):
            if reader_child.kind is Kinds.EMPTY and not required:
                rule = R.PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
            elif required:
                rule = (
                    R.REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL
                    if default
                    else R.REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
                )
            else:
                rule = R.OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
            out.append(changes.change(rule, p, writer, reader, parent_at, None, name))
            return
        covering = covering_schema(writer, name)
        if covering is not None:
            inner = self.compare(covering, reader_child, p, child_at)
            out.extend(inner)
            rule = (
                R.PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                if self.ok(inner)
                else R.PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            )
            out.append(changes.change(rule, p, writer, reader, parent_at, None, name))
        if required:
            rule = (
                R.REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL
                if default
                else R.REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL
            )
        else:
            rule = R.OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL
        out.append(changes.change(rule, p, writer, reader, parent_at, None, name))

    def _pattern_properties(
        self, writer: Node, reader: Node, path: Path, at: InstancePath, out: list[Change]
    ) -> None:
        writer_patterns = dict_of(writer.raw.get("patternProperties"))
        reader_patterns = dict_of(reader.raw.get("patternProperties"))
        if not writer_patterns and not reader_patterns:
            return
        writer_allows = writer.raw.get("additionalProperties") is not False
        reader_allows = reader.raw.get("additionalProperties") is not False
        for pattern in union(writer_patterns, reader_patterns):
            p = f"{path}/patternProperties/{escape(pattern)}"
            if pattern in writer_patterns and pattern in reader_patterns:
                out.extend(
                    self.pair(
                        writer,
                        writer_patterns[pattern],
                        reader,
                        reader_patterns[pattern],
                        ("patternProperties", pattern),
                        p,
                        (*at, EXTRA_PROPERTY),
                    )
                )
            elif pattern in reader_patterns and writer_allows:
                # names matching the new pattern were unconstrained (or looser) before
                rule = R.ADDITIONAL_PROPERTIES_NARROWED
                out.append(changes.change(rule, p, writer, reader, at, None, pattern))
            elif pattern in writer_patterns and not reader_allows:
                rule = R.ADDITIONAL_PROPERTIES_NARROWED
                out.append(changes.change(rule, p, writer, reader, at, pattern, None))

    def _dependencies(
        self, writer: Node, reader: Node, path: Path, at: InstancePath, out: list[Change]
    ) -> None:
        """Property and schema dependencies, read as each side's draft reads them: draft-07 and
        earlier ``dependencies``, 2019-09 and later ``dependentRequired`` and
        ``dependentSchemas`` (each draft ignores the other's keywords)."""
        writer_deps, reader_deps = _dependencies(writer), _dependencies(reader)
        for key in union(writer_deps, reader_deps):
            name = key[0]
            before, writer_kw = writer_deps.get(key, (None, ""))
            after, reader_kw = reader_deps.get(key, (None, ""))
            p = f"{path}/{reader_kw or writer_kw}/{escape(name)}"
            if before is None or after is None:
                present = after if before is None else before
                if isinstance(present, list):
                    added, removed = R.DEPENDENCY_ARRAY_ADDED, R.DEPENDENCY_ARRAY_REMOVED
                else:
                    added, removed = R.DEPENDENCY_SCHEMA_ADDED, R.DEPENDENCY_SCHEMA_REMOVED
                rule = added if before is None else removed
                out.append(changes.change(rule, p, writer, reader, at, before, after))
            elif isinstance(before, list) and isinstance(after, list):
                b, a = set(strings_of(before)), set(strings_of(after))
                if a != b:
                    rule = (
                        R.DEPENDENCY_ARRAY_EXTENDED
                        if a > b
                        else R.DEPENDENCY_ARRAY_NARROWED
                        if a < b
                        else R.DEPENDENCY_ARRAY_CHANGED
                    )
                    out.append(changes.change(rule, p, writer, reader, at, before, after))
            elif writer_kw == reader_kw:
                out.extend(self.pair(writer, before, reader, after, (reader_kw, name), p, at))
            else:
                writer_child = writer.child(before, writer_kw, name)
                out.extend(self.compare(writer_child, reader.child(after, reader_kw, name), p, at))


def _dependencies(node: Node) -> dict[tuple[str, bool], tuple[Any, str]]:
    """(name, is a schema dependency) -> (the dependency, its keyword), as the node's draft
    reads them."""
    keywords = ("dependentRequired", "dependentSchemas") if node.view.modern else ("dependencies",)
    out: dict[tuple[str, bool], tuple[Any, str]] = {}
    for keyword in keywords:
        for name, value in dict_of(node.raw.get(keyword)).items():
            out[name, not isinstance(value, list)] = (value, keyword)
    return out
