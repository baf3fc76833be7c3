"""Diff two JSON Schemas into change types, the way the Confluent registry names them.

``diff_schemas(writer, reader, policy)`` walks both schemas together (writer = the schema
events were written with, reader = the schema that must read them) and returns every
:class:`Change`. Which changes break is the policy's business (``rules.py``); the walk only
consults the policy where the change *type* depends on whether a sub-comparison is compatible
(combinator matching, properties covered by a partially open content model).

Sub-schema pairs are memoised, so shared and recursive ``$ref``s are compared once.

``breaking_only=True`` returns exactly the changes of the full diff that ``policy`` does not
accept, in the same order, without building the accepted ones where the walk can tell cheaply
(a property added to or removed from an object): a caller that only needs the verdict does not
pay for listing every accepted change. The walk's own decisions only ever ask whether a
sub-comparison holds a change the policy refuses (``_Differ.ok``), which dropping accepted
changes does not alter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from evreg.contracts.compat.report import Change, Policy
from evreg.contracts.compat.rules import LENIENT_ACCEPTS, STRICT_ACCEPTS
from evreg.contracts.compat.schema_view import Kind, Node, SchemaView, is_metadata_only
from evreg.contracts.model import SchemaRef
from evreg.contracts.pointer import escape

Path = str  # internal: "" for the root, "/properties/a" below it
IPath = tuple[str | int, ...]
EXTRA_PROPERTY = "x-evreg-extra"
_MISSING: Any = object()  # instance key standing for "some undeclared property"

_EMPTYISH = (Kind.EMPTY,)

# The rules a property added to (removed from) an object can give without a sub-comparison:
# when the policy accepts all of them, a breaking_only walk skips the property unseen.
_ADDED_OPEN = frozenset(
    {
        "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
        "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    }
)
_ADDED_OPEN_REQUIRED = frozenset(
    {
        "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL",
        "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    }
)
_ADDED_CLOSED = frozenset({"OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"})
_ADDED_CLOSED_REQUIRED = frozenset(
    {
        "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
        "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    }
)
_REMOVED_OPEN = frozenset({"PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL"})


class DiffCache:
    """What the pairs of one check share: typed views of each schema, and the changes found
    between sub-schemas by their content. In a transitive check most sub-schemas of the older
    versions are written the same from one version to the next, so their comparison with the
    new version is done once (keys are canonical texts, so only `$ref`-free sub-schemas, whose
    meaning does not depend on their document, are shared)."""

    def __init__(self) -> None:
        self.views: dict[int, SchemaView] = {}
        # (writer text, reader text, draft, policy, undeclared_required, breaking_only)
        self.by_content: dict[
            tuple[str, str, str, Policy, bool, bool], tuple[Path, IPath, list[Change]]
        ] = {}

    def view(self, ref: SchemaRef) -> SchemaView:
        found = self.views.get(id(ref))
        if found is None:
            found = self.views[id(ref)] = SchemaView(ref)
        return found


def diff_schemas(
    writer: SchemaRef,
    reader: SchemaRef,
    policy: Policy = Policy.STRICT,
    prefix: str = "",
    cache: DiffCache | None = None,
    undeclared_required: bool = False,
    breaking_only: bool = False,
) -> list[Change]:
    """Every change from ``writer`` to ``reader``; paths start with ``prefix`` (a pointer).

    ``undeclared_required`` also reports ``REQUIRED_UNDECLARED_PROPERTY_ADDED`` (a name no
    ``properties`` of either side declares became required), which the Confluent-compatible
    version checks leave out; direct reader checks ask for it.

    ``cache`` is shared by the calls of one check (the caller keeps the SchemaRefs alive, since
    views are keyed by their ``id``): a transitive check types the new version once and compares
    each unchanged sub-schema of the older versions once.

    ``breaking_only`` keeps only the changes ``policy`` does not accept (see the module note).
    """
    shared = DiffCache() if cache is None else cache
    differ = _Differ(policy, shared, undeclared_required, breaking_only)
    return differ.compare(
        shared.view(writer).root(), shared.view(reader).root(), prefix.rstrip("/"), ()
    )


class _Differ:
    def __init__(
        self,
        policy: Policy,
        cache: DiffCache,
        undeclared_required: bool,
        breaking_only: bool = False,
    ) -> None:
        self.policy = policy
        self.undeclared_required = undeclared_required
        self.breaking_only = breaking_only
        self.cache = cache
        self.accepted = STRICT_ACCEPTS if policy is Policy.STRICT else LENIENT_ACCEPTS
        accepted = self.accepted
        # breaking_only: may an added (removed) property be skipped without looking at it?
        self.skip_added_open = breaking_only and accepted >= _ADDED_OPEN
        self.skip_added_open_required = breaking_only and accepted >= _ADDED_OPEN_REQUIRED
        self.skip_added_closed = breaking_only and accepted >= _ADDED_CLOSED
        self.skip_added_closed_required = breaking_only and accepted >= _ADDED_CLOSED_REQUIRED
        self.skip_removed_open = breaking_only and accepted >= _REMOVED_OPEN
        self.memo: dict[tuple[int, int], tuple[Path, IPath, list[Change]]] = {}
        self.active: set[tuple[int, int]] = set()

    def ok(self, changes: list[Change]) -> bool:
        accepted = self.accepted
        return all(c.rule in accepted for c in changes)

    # -- the walk ---------------------------------------------------------------------------

    def pair(
        self,
        o: Node,
        o_raw: Any,
        u: Node,
        u_raw: Any,
        segments: tuple[str, ...],
        path: Path,
        ip: IPath,
    ) -> list[Change]:
        """Compare two sub-schemas of ``o`` and ``u``, typing them only when needed."""
        draft = o.view.draft
        if draft != u.view.draft:
            return self.compare(o.child(o_raw, *segments), u.child(u_raw, *segments), path, ip)
        if o_raw == u_raw and _unchanged(o, u, u_raw):
            return []
        o_text, u_text = o.view.text(o_raw), u.view.text(u_raw)
        if o_text is None or u_text is None:
            return self.compare(o.child(o_raw, *segments), u.child(u_raw, *segments), path, ip)
        key = (o_text, u_text, draft, self.policy, self.undeclared_required, self.breaking_only)
        memo = self.cache.by_content.get(key)
        if memo is not None:
            return _rebase(memo, path, ip)
        out = self.compare(o.child(o_raw, *segments), u.child(u_raw, *segments), path, ip)
        self.cache.by_content[key] = (path, ip, out)
        return out

    def compare(self, o: Node | None, u: Node | None, path: Path, ip: IPath) -> list[Change]:
        if o is None or u is None:
            if o is None and u is None:
                return []
            rule = "SCHEMA_ADDED" if o is None else "SCHEMA_REMOVED"
            if self.breaking_only and rule in self.accepted:
                return []
            return [_ch(rule, path, o, u, ip)]
        key = (id(o), id(u))
        if key in self.active:  # a recursive schema met itself: assume compatible
            return []
        memo = self.memo.get(key)
        if memo is not None:
            return _rebase(memo, path, ip)
        self.active.add(key)
        try:
            out = self._nodes(o, u, path, ip)
        finally:
            self.active.discard(key)
        if self.breaking_only:
            accepted = self.accepted
            out = [c for c in out if c.rule not in accepted]
        self.memo[key] = (path, ip, out)
        return out

    def _nodes(self, o: Node, u: Node, path: Path, ip: IPath) -> list[Change]:
        o_comb = o.kind is Kind.COMBINED
        u_comb = u.kind is Kind.COMBINED
        if u_comb and not o_comb:
            found = self._into_combined(o, u, path, ip)
            if found is not None:
                return found
        elif o_comb and not u_comb:
            found = self._from_combined(o, u, path, ip)
            if found is not None:
                return found
        if o.kind is not u.kind:
            if o.kind is Kind.FALSE or u.kind is Kind.EMPTY:
                return []
            return [_ch("TYPE_CHANGED", path, o, u, ip)]
        out: list[Change] = []
        if o.meta is not None or u.meta is not None:
            self._meta(o, u, path, ip, out)
        kind = o.kind
        if kind is Kind.STRING:
            self._string(o, u, path, ip, out)
        elif kind is Kind.NUMBER:
            self._number(o, u, path, ip, out)
        elif kind is Kind.OBJECT:
            self._object(o, u, path, ip, out)
        elif kind is Kind.ARRAY:
            self._array(o, u, path, ip, out)
        elif kind is Kind.ENUM:
            self._enum(o, u, path, ip, out)
        elif kind is Kind.NOT:
            self._not(o, u, path, ip, out)
        elif kind is Kind.COMBINED:
            self._combined(o, u, path, ip, out)
        elif kind is Kind.CONDITIONAL:
            self._conditional(o, u, path, ip, out)
        return out

    # -- one side combined -------------------------------------------------------------------

    def _into_combined(self, o: Node, u: Node, path: Path, ip: IPath) -> list[Change] | None:
        """A single schema became a combined one: find where the old one fits."""
        if u.criterion == "allOf":
            acc: list[Change] = []
            for _, sub in u.subs:
                found = self.compare(o, sub, path, ip)
                if not self.ok(found):
                    return None
                acc.extend(c for c in found if c not in acc)
            return acc
        for _, sub in u.subs:
            found = self.compare(o, sub, path, ip)
            if self.ok(found):
                return [*found, _ch("SUM_TYPE_EXTENDED", path, o, u, ip)]
        return None

    def _from_combined(self, o: Node, u: Node, path: Path, ip: IPath) -> list[Change] | None:
        """A combined schema became a single one."""
        if o.criterion == "allOf":
            for _, sub in o.subs:
                found = self.compare(sub, u, path, ip)
                if self.ok(found):
                    return [*found, _ch("PRODUCT_TYPE_NARROWED", path, o, u, ip)]
            return None
        results = [self.compare(sub, u, path, ip) for _, sub in o.subs]
        fitting = [r for r in results if self.ok(r)]
        if len(fitting) == len(results):
            acc: list[Change] = []
            for r in results:
                acc.extend(c for c in r if c not in acc)
            return acc
        if fitting:
            return [_ch("SUM_TYPE_NARROWED", path, o, u, ip)]
        return None

    # -- metadata ---------------------------------------------------------------------------

    def _meta(self, o: Node, u: Node, path: Path, ip: IPath, out: list[Change]) -> None:
        om, um = o.meta, u.meta
        for attr, rule in (
            ("id", "ID_CHANGED"),
            ("title", "TITLE_CHANGED"),
            ("description", "DESCRIPTION_CHANGED"),
        ):
            before = getattr(om, attr, None)
            after = getattr(um, attr, None)
            if before != after:
                out.append(_ch(rule, path, o, u, ip, before, after))
        before_default = om.default if om is not None and om.has_default else _MISSING
        after_default = um.default if um is not None and um.has_default else _MISSING
        if before_default is not after_default and (
            before_default is _MISSING
            or after_default is _MISSING
            or not _json_eq(before_default, after_default)
        ):
            out.append(
                _ch(
                    "DEFAULT_CHANGED",
                    path,
                    o,
                    u,
                    ip,
                    None if before_default is _MISSING else before_default,
                    None if after_default is _MISSING else after_default,
                )
            )

    # -- strings and numbers ----------------------------------------------------------------

    def _string(self, o: Node, u: Node, path: Path, ip: IPath, out: list[Change]) -> None:
        _bound(o, u, "maxLength", "MAX_LENGTH", path, ip, out)
        _bound(o, u, "minLength", "MIN_LENGTH", path, ip, out)
        before, after = o.raw.get("pattern"), u.raw.get("pattern")
        if before != after:
            rule = (
                "PATTERN_ADDED"
                if before is None
                else "PATTERN_REMOVED"
                if after is None
                else "PATTERN_CHANGED"
            )
            out.append(_ch(rule, path + "/pattern", o, u, ip, before, after))

    def _number(self, o: Node, u: Node, path: Path, ip: IPath, out: list[Change]) -> None:
        if o.integer != u.integer:
            rule = "TYPE_EXTENDED" if o.integer else "TYPE_NARROWED"
            out.append(
                _ch(
                    rule,
                    path,
                    o,
                    u,
                    ip,
                    "integer" if o.integer else "number",
                    "integer" if u.integer else "number",
                )
            )
        ob, ub = _numeric_bounds(o), _numeric_bounds(u)
        for kw, prefix in (
            ("maximum", "MAXIMUM"),
            ("minimum", "MINIMUM"),
            ("exclusiveMaximum", "EXCLUSIVE_MAXIMUM"),
            ("exclusiveMinimum", "EXCLUSIVE_MINIMUM"),
        ):
            _bound_values(ob.get(kw), ub.get(kw), kw, prefix, o, u, path, ip, out)
        before, after = o.raw.get("multipleOf"), u.raw.get("multipleOf")
        if before != after:
            out.append(
                _ch(_multiple_of(before, after), path + "/multipleOf", o, u, ip, before, after)
            )

    # -- enums, not, combinators, conditionals ---------------------------------------------

    def _enum(self, o: Node, u: Node, path: Path, ip: IPath, out: list[Change]) -> None:
        before, after = _enum_values(o.raw), _enum_values(u.raw)
        if before == after:
            return
        kw = "const" if "const" in u.raw and "enum" not in u.raw else "enum"
        if after > before:
            rule = "ENUM_ARRAY_EXTENDED"
        elif after < before:
            rule = "ENUM_ARRAY_NARROWED"
        else:
            rule = "ENUM_ARRAY_CHANGED"
        out.append(_ch(rule, f"{path}/{kw}", o, u, ip, _enum_list(o.raw), _enum_list(u.raw)))

    def _not(self, o: Node, u: Node, path: Path, ip: IPath, out: list[Change]) -> None:
        o_not, u_not = o.child(o.raw.get("not"), "not"), u.child(u.raw.get("not"), "not")
        # the reader's `not` must reject everything the writer's rejects: compare reversed
        inner = self.compare(u_not, o_not, path + "/not", ip)
        if not inner and _json_eq(o.raw.get("not"), u.raw.get("not")):
            return
        rule = "NOT_TYPE_NARROWED" if self.ok(inner) else "NOT_TYPE_EXTENDED"
        out.append(_ch(rule, path + "/not", o, u, ip))

    def _combined(self, o: Node, u: Node, path: Path, ip: IPath, out: list[Change]) -> None:
        if (
            o.synthetic
            and u.synthetic
            and o.criterion == u.criterion
            and self._by_kind(o, u, path, ip, out)
        ):
            return
        o_subs, u_subs = _distinct(o.subs), _distinct(u.subs)
        criteria = _criteria_change(o.criterion, u.criterion, len(o_subs), len(u_subs))
        if criteria == "COMBINED_TYPE_CHANGED":
            out.append(_ch(criteria, path, o, u, ip, o.criterion, u.criterion))
            return
        if criteria is not None:
            out.append(_ch(criteria, path, o, u, ip, o.criterion, u.criterion))
        if len(o_subs) < len(u_subs):
            rule = "PRODUCT_TYPE_EXTENDED" if u.criterion == "allOf" else "SUM_TYPE_EXTENDED"
            out.append(_ch(rule, path, o, u, ip, len(o_subs), len(u_subs)))
        elif len(o_subs) > len(u_subs):
            rule = "PRODUCT_TYPE_NARROWED" if o.criterion == "allOf" else "SUM_TYPE_NARROWED"
            out.append(_ch(rule, path, o, u, ip, len(o_subs), len(u_subs)))
        table: dict[tuple[int, int], list[Change]] = {}
        for i, (seg, o_sub) in enumerate(o_subs):
            sub_path = path if seg is None else f"{path}/{seg}"
            for j, (_, u_sub) in enumerate(u_subs):
                found = self.compare(o_sub, u_sub, sub_path, ip)
                if self.ok(found):
                    table[i, j] = found
        matching = _max_matching(len(o_subs), len(u_subs), table)
        if len(matching) < min(len(o_subs), len(u_subs)):
            out.append(_ch("COMBINED_TYPE_SUBSCHEMAS_CHANGED", path, o, u, ip))
            return
        for i, j in sorted(matching.items()):
            out.extend(table[i, j])

    def _by_kind(self, o: Node, u: Node, path: Path, ip: IPath, out: list[Change]) -> bool:
        """Pair the parts of two synthetic combinations by kind (`{type, enum}` vs `{type, enum}`).

        The user wrote one schema object, not a combinator: report the changes of its parts
        (ENUM_ARRAY_NARROWED at .../enum) rather than a matching failure of invisible parts.
        """
        o_parts = {sub.kind: sub for _, sub in o.subs}
        u_parts = {sub.kind: sub for _, sub in u.subs}
        if len(o_parts) != len(o.subs) or len(u_parts) != len(u.subs):
            return False
        product = o.criterion == "allOf"
        for kind, o_sub in o_parts.items():
            if kind in u_parts:
                out.extend(self.compare(o_sub, u_parts[kind], path, ip))
            else:
                rule = "PRODUCT_TYPE_NARROWED" if product else "SUM_TYPE_NARROWED"
                out.append(_ch(rule, path, o_sub, u, ip, kind.name.lower(), None))
        for kind, u_sub in u_parts.items():
            if kind not in o_parts:
                rule = "PRODUCT_TYPE_EXTENDED" if product else "SUM_TYPE_EXTENDED"
                out.append(_ch(rule, path, o, u_sub, ip, None, kind.name.lower()))
        return True

    def _conditional(self, o: Node, u: Node, path: Path, ip: IPath, out: list[Change]) -> None:
        if not _json_eq(o.raw.get("if"), u.raw.get("if")):
            out.append(
                _ch(
                    "COMBINED_TYPE_CHANGED",
                    path + "/if",
                    o,
                    u,
                    ip,
                    o.raw.get("if"),
                    u.raw.get("if"),
                )
            )
            return
        for kw in ("then", "else"):
            out.extend(self.compare(_sub(o, kw), _sub(u, kw), f"{path}/{kw}", ip))

    # -- objects ----------------------------------------------------------------------------

    def _object(self, o: Node, u: Node, path: Path, ip: IPath, out: list[Change]) -> None:
        o_raw, u_raw = o.raw, u.raw
        o_props: Mapping[str, Any] = _dict(o_raw.get("properties"))
        u_props: Mapping[str, Any] = _dict(u_raw.get("properties"))
        u_required = _strings(u_raw.get("required"))
        o_required = _strings(o_raw.get("required"))
        same_draft = o.view.draft == u.view.draft
        skip_optional = skip_required = skip_removed = False
        required_set: frozenset[str] = frozenset()
        if self.breaking_only:  # which added/removed properties can only give accepted rules
            if _is_open(o):
                skip_optional, skip_required = self.skip_added_open, self.skip_added_open_required
            elif _is_closed(o):
                skip_optional = self.skip_added_closed
                skip_required = self.skip_added_closed_required
            skip_removed = self.skip_removed_open and _is_open(u)
            required_set = frozenset(u_required)
        for name in _union(o_props, u_props):
            if name in o_props:
                if name in u_props:
                    before, after = o_props[name], u_props[name]
                    if same_draft and before == after and _unchanged(o, u, after):
                        continue  # the common case in a large schema: nothing to type or compare
                    p = f"{path}/properties/{escape(name)}"
                    out.extend(self.pair(o, before, u, after, ("properties", name), p, (*ip, name)))
                    continue
                if skip_removed:
                    continue
            elif skip_required if name in required_set else skip_optional:
                continue
            p = f"{path}/properties/{escape(name)}"
            child_ip = (*ip, name)
            if name not in u_props:
                self._property_removed(
                    o, u, name, o.child(o_props[name], "properties", name), p, child_ip, out
                )
            elif name not in o_props:
                u_child = u.child(u_props[name], "properties", name)
                self._property_added(o, u, name, u_child, name in u_required, p, child_ip, out)
            else:
                o_child = o.child(o_props[name], "properties", name)
                out.extend(
                    self.compare(o_child, u.child(u_props[name], "properties", name), p, child_ip)
                )
        for name in u_required:
            if name not in o_required and name in o_props:
                default = (
                    name in u_props
                    and isinstance(u_props[name], dict)
                    and "default" in u_props[name]
                )
                rule = (
                    "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED"
                    if default
                    else "REQUIRED_ATTRIBUTE_ADDED"
                )
                out.append(_ch(rule, f"{path}/required/{escape(name)}", o, u, ip, None, name))
            elif (
                self.undeclared_required
                and name not in o_required
                and name not in o_props
                and name not in u_props
            ):
                out.append(
                    _ch(
                        "REQUIRED_UNDECLARED_PROPERTY_ADDED",
                        f"{path}/required/{escape(name)}",
                        o,
                        u,
                        ip,
                        None,
                        name,
                    )
                )
        for name in o_required:
            if name not in u_required:
                out.append(
                    _ch(
                        "REQUIRED_ATTRIBUTE_REMOVED",
                        f"{path}/required/{escape(name)}",
                        o,
                        u,
                        ip,
                        name,
                        None,
                    )
                )
        _bound(o, u, "maxProperties", "MAX_PROPERTIES", path, ip, out)
        _bound(o, u, "minProperties", "MIN_PROPERTIES", path, ip, out)
        self._extra(
            o, u, "additionalProperties", "ADDITIONAL_PROPERTIES", path, (*ip, EXTRA_PROPERTY), out
        )
        self._extra(
            o,
            u,
            "unevaluatedProperties",
            "UNEVALUATED_PROPERTIES",
            path,
            (*ip, EXTRA_PROPERTY),
            out,
        )
        self._pattern_properties(o, u, path, ip, out)
        self._dependencies(o, u, path, ip, out)
        out.extend(
            self.compare(
                _sub(o, "propertyNames"), _sub(u, "propertyNames"), path + "/propertyNames", ip
            )
        )

    def _property_removed(
        self,
        o: Node,
        u: Node,
        name: str,
        o_child: Node,
        p: Path,
        child_ip: IPath,
        out: list[Change],
    ) -> None:
        if _is_open(u):
            out.append(
                _ch(
                    "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
                    p,
                    o,
                    u,
                    (*child_ip[:-1],),
                    name,
                    None,
                )
            )
            return
        covering = _covering_schema(u, name)
        if covering is not None:
            inner = self.compare(o_child, covering, p, child_ip)
            out.extend(inner)
            rule = (
                "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                if self.ok(inner)
                else "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            )
        elif o_child.kind is Kind.FALSE:
            rule = "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"
        else:
            rule = "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"
        out.append(_ch(rule, p, o, u, child_ip[:-1], name, None))

    def _property_added(
        self,
        o: Node,
        u: Node,
        name: str,
        u_child: Node,
        required: bool,
        p: Path,
        child_ip: IPath,
        out: list[Change],
    ) -> None:
        default = "default" in u_child.raw
        parent_ip = child_ip[:-1]
        if _is_open(o):
            if u_child.kind is Kind.EMPTY and not required:
                rule = "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
            elif required:
                rule = (
                    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL"
                    if default
                    else "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
                )
            else:
                rule = "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
            out.append(_ch(rule, p, o, u, parent_ip, None, name))
            return
        covering = _covering_schema(o, name)
        if covering is not None:
            inner = self.compare(covering, u_child, p, child_ip)
            out.extend(inner)
            rule = (
                "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                if self.ok(inner)
                else "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            )
            out.append(_ch(rule, p, o, u, parent_ip, None, name))
        if required:
            rule = (
                "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL"
                if default
                else "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"
            )
        else:
            rule = "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"
        out.append(_ch(rule, p, o, u, parent_ip, None, name))

    def _extra(
        self, o: Node, u: Node, kw: str, prefix: str, path: Path, ip: IPath, out: list[Change]
    ) -> None:
        """additionalProperties / unevaluatedProperties / additionalItems / unevaluatedItems."""
        o_val, u_val = o.raw.get(kw), u.raw.get(kw)
        if o_val == u_val and not isinstance(o_val, dict):
            return
        p = f"{path}/{kw}"
        o_schema, u_schema = _extra_schema(o_val), _extra_schema(u_val)
        o_allows, u_allows = o_val is not False, u_val is not False
        if o_allows != u_allows:
            out.append(
                _ch(
                    f"{prefix}_ADDED" if u_allows else f"{prefix}_REMOVED",
                    p,
                    o,
                    u,
                    ip[:-1],
                    o_val,
                    u_val,
                )
            )
        elif o_allows:
            if o_schema is None and u_schema is not None:
                out.append(_ch(f"{prefix}_NARROWED", p, o, u, ip[:-1], o_val, u_val))
            elif o_schema is not None and u_schema is None:
                out.append(_ch(f"{prefix}_EXTENDED", p, o, u, ip[:-1], o_val, u_val))
            elif o_schema is not None and u_schema is not None:
                out.extend(self.compare(o.child(o_schema, kw), u.child(u_schema, kw), p, ip))

    def _pattern_properties(
        self, o: Node, u: Node, path: Path, ip: IPath, out: list[Change]
    ) -> None:
        o_pp, u_pp = _dict(o.raw.get("patternProperties")), _dict(u.raw.get("patternProperties"))
        if not o_pp and not u_pp:
            return
        o_allows = o.raw.get("additionalProperties") is not False
        u_allows = u.raw.get("additionalProperties") is not False
        for pattern in _union(o_pp, u_pp):
            p = f"{path}/patternProperties/{escape(pattern)}"
            if pattern in o_pp and pattern in u_pp:
                segments = ("patternProperties", pattern)
                out.extend(
                    self.pair(
                        o, o_pp[pattern], u, u_pp[pattern], segments, p, (*ip, EXTRA_PROPERTY)
                    )
                )
            elif pattern in u_pp and o_allows:
                # names matching the new pattern were unconstrained (or looser) before
                out.append(_ch("ADDITIONAL_PROPERTIES_NARROWED", p, o, u, ip, None, pattern))
            elif pattern in o_pp and not u_allows:
                out.append(_ch("ADDITIONAL_PROPERTIES_NARROWED", p, o, u, ip, pattern, None))

    def _dependencies(self, o: Node, u: Node, path: Path, ip: IPath, out: list[Change]) -> None:
        for kw in ("dependencies", "dependentRequired", "dependentSchemas"):
            o_deps, u_deps = _dict(o.raw.get(kw)), _dict(u.raw.get(kw))
            for name in _union(o_deps, u_deps):
                p = f"{path}/{kw}/{escape(name)}"
                before, after = o_deps.get(name), u_deps.get(name)
                if before is None or after is None:
                    present = after if before is None else before
                    family = (
                        "DEPENDENCY_ARRAY" if isinstance(present, list) else "DEPENDENCY_SCHEMA"
                    )
                    out.append(
                        _ch(
                            f"{family}_{'ADDED' if before is None else 'REMOVED'}",
                            p,
                            o,
                            u,
                            ip,
                            before,
                            after,
                        )
                    )
                elif isinstance(before, list) and isinstance(after, list):
                    b, a = set(_strings(before)), set(_strings(after))
                    if a != b:
                        rule = "EXTENDED" if a > b else "NARROWED" if a < b else "CHANGED"
                        out.append(_ch(f"DEPENDENCY_ARRAY_{rule}", p, o, u, ip, before, after))
                elif isinstance(before, list) or isinstance(after, list):
                    out.append(_ch("DEPENDENCY_ARRAY_CHANGED", p, o, u, ip, before, after))
                else:
                    out.extend(self.pair(o, before, u, after, (kw, name), p, ip))

    # -- arrays -----------------------------------------------------------------------------

    def _array(self, o: Node, u: Node, path: Path, ip: IPath, out: list[Change]) -> None:
        _bound(o, u, "maxItems", "MAX_ITEMS", path, ip, out)
        _bound(o, u, "minItems", "MIN_ITEMS", path, ip, out)
        if bool(o.raw.get("uniqueItems")) != bool(u.raw.get("uniqueItems")):
            rule = "UNIQUE_ITEMS_ADDED" if u.raw.get("uniqueItems") else "UNIQUE_ITEMS_REMOVED"
            out.append(
                _ch(
                    rule,
                    path + "/uniqueItems",
                    o,
                    u,
                    ip,
                    o.raw.get("uniqueItems"),
                    u.raw.get("uniqueItems"),
                )
            )
        tuple_kw, extra_kw = (
            ("prefixItems", "items") if o.view.prefix_items else ("items", "additionalItems")
        )
        o_tuple, u_tuple = _tuple(o.raw, tuple_kw), _tuple(u.raw, tuple_kw)
        o_all, u_all = _all_items(o.raw, tuple_kw), _all_items(u.raw, tuple_kw)
        if o_all is not None and u_all is not None:
            out.extend(self.pair(o, o_all, u, u_all, ("items",), path + "/items", (*ip, 0)))
        elif o_all is not None or u_all is not None:
            out.extend(
                self.compare(
                    None if o_all is None else o.child(o_all, "items"),
                    None if u_all is None else u.child(u_all, "items"),
                    path + "/items",
                    (*ip, 0),
                )
            )
        for i in range(max(len(o_tuple), len(u_tuple))):
            p = f"{path}/{tuple_kw}/{i}"
            if i >= len(u_tuple):
                self._item_removed(
                    o, u, o.child(o_tuple[i], tuple_kw, str(i)), extra_kw, p, (*ip, i), out
                )
            elif i >= len(o_tuple):
                self._item_added(
                    o, u, u.child(u_tuple[i], tuple_kw, str(i)), extra_kw, p, (*ip, i), out
                )
            else:
                out.extend(self.pair(o, o_tuple[i], u, u_tuple[i], (tuple_kw, str(i)), p, (*ip, i)))
        if not o.view.prefix_items or o_tuple or u_tuple:
            self._extra(
                o,
                u,
                extra_kw,
                "ADDITIONAL_ITEMS",
                path,
                (*ip, max(len(o_tuple), len(u_tuple))),
                out,
            )
        self._extra(o, u, "unevaluatedItems", "UNEVALUATED_ITEMS", path, (*ip, len(u_tuple)), out)
        if "contains" in o.raw or "contains" in u.raw:
            out.extend(
                self.compare(_sub(o, "contains"), _sub(u, "contains"), path + "/contains", (*ip, 0))
            )
        _bound(o, u, "maxContains", "MAX_CONTAINS", path, ip, out)
        _bound(o, u, "minContains", "MIN_CONTAINS", path, ip, out)

    def _item_removed(
        self,
        o: Node,
        u: Node,
        o_item: Node,
        extra_kw: str,
        p: Path,
        item_ip: IPath,
        out: list[Change],
    ) -> None:
        extra = u.raw.get(extra_kw)
        schema = _extra_schema(extra)
        if extra is not False and schema is None:
            rule = "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL"
        elif schema is not None:
            inner = self.compare(o_item, u.child(schema, extra_kw), p, item_ip)
            out.extend(inner)
            ok = self.ok(inner)
            rule = f"ITEM_REMOVED_{'IS' if ok else 'NOT'}_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
        elif o_item.kind is Kind.FALSE:
            rule = "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"
        else:
            rule = "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL"
        out.append(_ch(rule, p, o, u, item_ip[:-1]))

    def _item_added(
        self,
        o: Node,
        u: Node,
        u_item: Node,
        extra_kw: str,
        p: Path,
        item_ip: IPath,
        out: list[Change],
    ) -> None:
        extra = o.raw.get(extra_kw)
        schema = _extra_schema(extra)
        if extra is not False and schema is None:
            rule = (
                "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
                if u_item.kind is Kind.EMPTY
                else "ITEM_ADDED_TO_OPEN_CONTENT_MODEL"
            )
        elif schema is not None:
            inner = self.compare(o.child(schema, extra_kw), u_item, p, item_ip)
            out.extend(inner)
            ok = self.ok(inner)
            rule = f"ITEM_ADDED_{'IS' if ok else 'NOT'}_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
        else:
            rule = "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL"
        out.append(_ch(rule, p, o, u, item_ip[:-1]))


# -- helpers ------------------------------------------------------------------------------------


def _unchanged(o: Node, u: Node, raw: Any) -> bool:
    """Does a sub-schema that is written the same in both versions also mean the same?

    Yes when it is plain (nothing in it resolves elsewhere), or when it is a local `$ref` whose
    targets are written the same and are plain (a shared definition, the common case)."""
    if u.view.plain(raw):
        return True
    after = u.view.local_target(raw)
    if after is None:
        return False
    before = o.view.local_target(raw)
    return before is not None and before == after and u.view.plain(after)


def _ch(
    rule: str,
    path: Path,
    o: Node | None,
    u: Node | None,
    ip: IPath,
    old: Any = None,
    new: Any = None,
) -> Change:
    return Change(
        rule,
        "#" + (path or "/"),
        old,
        new,
        writer_node=o.ptr if o is not None else None,
        reader_node=u.ptr if u is not None else None,
        instance_path=ip,
    )


def _rebase(memo: tuple[Path, IPath, list[Change]], path: Path, ip: IPath) -> list[Change]:
    first_path, first_ip, changes = memo
    if first_path == path and first_ip == ip:
        return list(changes)
    cut, cut_ip = len(first_path), len(first_ip)
    out = []
    for c in changes:
        internal = c.path[1:] if c.path != "#/" else ""
        out.append(
            Change(
                c.rule,
                "#" + ((path + internal[cut:]) or "/"),
                c.old,
                c.new,
                c.message,
                c.channel,
                c.message_name,
                c.writer_node,
                c.reader_node,
                (*ip, *c.instance_path[cut_ip:]),
            )
        )
    return out


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _union(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    return [*a, *(k for k in b if k not in a)]


def _sub(node: Node, kw: str) -> Node | None:
    return node.child(node.raw[kw], kw) if kw in node.raw else None


def _bound(
    o: Node, u: Node, kw: str, prefix: str, path: Path, ip: IPath, out: list[Change]
) -> None:
    _bound_values(o.raw.get(kw), u.raw.get(kw), kw, prefix, o, u, path, ip, out)


def _bound_values(
    before: Any,
    after: Any,
    kw: str,
    prefix: str,
    o: Node,
    u: Node,
    path: Path,
    ip: IPath,
    out: list[Change],
) -> None:
    if (
        before == after
        or (not _is_num(before) and before is not None)
        or (not _is_num(after) and after is not None)
    ):
        return
    if before is None:
        rule = "ADDED"
    elif after is None:
        rule = "REMOVED"
    else:
        rule = "INCREASED" if after > before else "DECREASED"
    out.append(_ch(f"{prefix}_{rule}", f"{path}/{kw}", o, u, ip, before, after))


def _is_num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numeric_bounds(node: Node) -> dict[str, Any]:
    raw = node.raw
    bounds = {
        kw: raw.get(kw) for kw in ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum")
    }
    if node.view.draft4:  # draft-04: exclusiveMaximum is a flag on maximum
        for flag, kw in (("exclusiveMaximum", "maximum"), ("exclusiveMinimum", "minimum")):
            if bounds[flag] is True:
                bounds[flag], bounds[kw] = bounds[kw], None
            elif isinstance(bounds[flag], bool):
                bounds[flag] = None
    return bounds


def _multiple_of(before: Any, after: Any) -> str:
    if before is None:
        return "MULTIPLE_OF_ADDED"
    if after is None:
        return "MULTIPLE_OF_REMOVED"
    try:
        b, a = Fraction(str(before)), Fraction(str(after))
    except (ValueError, ZeroDivisionError):
        return "MULTIPLE_OF_CHANGED"
    if a and (b / a).denominator == 1:
        return "MULTIPLE_OF_REDUCED"  # every multiple of the old value is one of the new
    if b and (a / b).denominator == 1:
        return "MULTIPLE_OF_EXPANDED"
    return "MULTIPLE_OF_CHANGED"


def _enum_list(raw: Mapping[str, Any]) -> list[Any]:
    values: list[Any] = []
    if isinstance(raw.get("enum"), list):
        values.extend(raw["enum"])
    if "const" in raw:
        values.append(raw["const"])
    return values


def _enum_values(raw: Mapping[str, Any]) -> frozenset[str]:
    if "enum" in raw and "const" in raw:
        allowed = [v for v in _enum_list(raw) if _json_eq(v, raw["const"])]
        return frozenset(_key(v) for v in allowed[:1])
    return frozenset(_key(v) for v in _enum_list(raw))


def _key(value: Any) -> str:
    return json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"))


def _normalise(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def _json_eq(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if type(a) is not type(b) and not (_is_num(a) and _is_num(b)):
        return False
    return _key(a) == _key(b)


def _distinct(subs: tuple[tuple[str | None, Node], ...]) -> list[tuple[str | None, Node]]:
    if len(subs) < 2 or subs[0][0] is None:
        return list(subs)
    seen: set[str] = set()
    out = []
    for seg, node in subs:
        key = "false" if node.kind is Kind.FALSE else _key(node.raw)
        if key not in seen:
            seen.add(key)
            out.append((seg, node))
    return out


def _criteria_change(
    before: str | None, after: str | None, n_before: int, n_after: int
) -> str | None:
    if before == after:
        return None
    if after == "anyOf" or (before == "allOf" and after == "oneOf"):
        return "COMBINED_TYPE_EXTENDED"
    if after == "oneOf":  # from anyOf: only a single alternative keeps its meaning
        return "COMBINED_TYPE_EXTENDED" if n_before == 1 else "COMBINED_TYPE_CHANGED"
    # to allOf from anyOf/oneOf: equivalent only when both have a single sub-schema
    return "COMBINED_TYPE_EXTENDED" if n_before == 1 and n_after == 1 else "COMBINED_TYPE_CHANGED"


def _max_matching(n: int, m: int, edges: Mapping[tuple[int, int], Any]) -> dict[int, int]:
    """Maximum bipartite matching (Kuhn's augmenting paths); returns left -> right."""
    adj: list[list[int]] = [[j for j in range(m) if (i, j) in edges] for i in range(n)]
    right: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in adj[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in right or augment(right[j], seen):
                right[j] = i
                return True
        return False

    for i in range(n):
        augment(i, set())
    return {i: j for j, i in right.items()}


def _extra_schema(value: Any) -> Any:
    """The schema of additional* when it constrains anything, else None (absent/true/{})."""
    if isinstance(value, dict) and value:
        return None if is_metadata_only(value) else value
    return None


def _is_open(node: Node) -> bool:
    raw = node.raw
    if raw.get("patternProperties"):
        return False
    for kw in ("additionalProperties", "unevaluatedProperties"):
        value = raw.get(kw)
        if value is False or _extra_schema(value) is not None:
            return False
    return True


def _is_closed(node: Node) -> bool:
    """No undeclared property is allowed: :func:`_covering_schema` is None for every name."""
    raw = node.raw
    if raw.get("patternProperties"):
        return False
    extra = raw.get("additionalProperties")
    if extra is None and "additionalProperties" not in raw:
        extra = raw.get("unevaluatedProperties")
    return extra is False


def _covering_schema(node: Node, name: str) -> Node | None:
    """What a partially open (or closed) object says about an undeclared property ``name``."""
    for pattern, schema in _dict(node.raw.get("patternProperties")).items():
        try:
            if re.search(pattern, name):
                return node.child(schema, "patternProperties", pattern)
        except re.error:
            continue
    extra = node.raw.get("additionalProperties")
    if extra is None and "additionalProperties" not in node.raw:
        extra = node.raw.get("unevaluatedProperties")
    if extra is False:
        return None
    schema = _extra_schema(extra)
    if schema is None:
        return node.view.node(True, None)
    return node.child(schema, "additionalProperties")


def _tuple(raw: Mapping[str, Any], kw: str) -> list[Any]:
    value = raw.get(kw)
    return value if isinstance(value, list) else []


def _all_items(raw: Mapping[str, Any], tuple_kw: str) -> Any:
    """The schema every item must match (`items` as one schema), or None."""
    items = raw.get("items")
    if items is None or isinstance(items, list):
        return None
    if tuple_kw == "prefixItems" and "prefixItems" in raw:
        return None  # 2020-12: with prefixItems, `items` plays additionalItems
    return items
