"""Many earlier versions against one new version, by content: which cannot break (BACKWARD).

A registry's BACKWARD_TRANSITIVE registration asks, of each earlier version, whether the diff
with the new version (the earlier one writing, the new one reading) finds a change the policy
refuses (``diff_schemas(..., breaking_only=True)``); most find none. The walk answers that per
version, over every property of its root: in a long history of a large schema, the same few
hundred properties again and again.

Two root objects compare as the sum of what each property contributes (nothing when it is
written the same on both sides, `$ref` targets included) and of what the objects say outside
their properties, their *frame* (``required``, ``additionalProperties``, ``$defs``, the
annotations; of the properties only the names matter there, see ``ObjectRules.object_frame``).
What a property contributes depends on its content only, what a frame contributes on the frame
and a few names. So an earlier version is summed up by its :class:`Outline`: a key for its
frame and one (name, key) entry per property, keys being the canonical text plus the texts of
the schemas its `$ref`s reach; and :class:`History` compares each distinct entry and each
distinct frame with the new version once, with the walk's own code, whatever the number of
versions holding it. An earlier version then costs a few set operations.

:meth:`History.unbroken` answers True only where the walk finds no refused change; whatever it
does not model sends that version to the walk: a root that is not one plain object, another
draft, a property removed or added where the policy may refuse it, a property the walk finds a
refused change in (the walk may still show it harmless), `$ref`s that are not local pointers,
that reach too far or that recurse (the walk assumes a recursion compatible where it meets it,
which depends on where the walk enters it), an error.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from evreg.contracts.compat.diff.base import DiffCache
from evreg.contracts.compat.diff.changes import dict_of, strings_of
from evreg.contracts.compat.diff.objects import added_unseen, removed_unseen
from evreg.contracts.compat.diff.schema_view import SchemaView
from evreg.contracts.compat.diff.walk import Differ
from evreg.contracts.compat.proofs import Inclusion
from evreg.contracts.compat.report import Change, Policy
from evreg.contracts.compat.rules import LENIENT_ACCEPTS, STRICT_ACCEPTS
from evreg.contracts.errors import ContractError
from evreg.contracts.model import SchemaRef
from evreg.contracts.pointer import escape

__all__ = ["History", "Outline", "outline"]

# root keywords that make the root more than one object node (schema_view's parts), or that
# resolve dynamically
_NOT_ONE_OBJECT: Final = frozenset(
    {
        *("$ref", "$dynamicRef", "$recursiveRef", "enum", "const", "not"),
        *("allOf", "anyOf", "oneOf", "if", "then", "else"),
    }
)
_DEFINITIONS: Final = frozenset({"$defs", "definitions"})
_RESOLVING: Final = ('"$ref"', '"$dynamicRef"', '"$recursiveRef"')
_MAX_REACHED: Final = 64  # `$ref`s followed for one key (as `DiffCache.same_with_refs`)
_MAX_OUTLINES: Final = 4096
_MAX_REFUSED: Final = 256  # schemas kept whose outline could not be made
# text held for the process (by the outlines kept, which hold their schemas too; and by the
# numbering): each bound dropped from the oldest (outlines) or at once (numbering)
_MAX_BYTES: Final = 32 * 1024 * 1024

Entry = tuple[str, str]  # (property name, key of its content)


@dataclass(frozen=True, slots=True)
class Outline:
    """What a schema's root object holds, by content: its draft, a key for its frame (the
    root without ``properties``), each property's (name, key) by a number for the process
    (``entries``, numbers sets compare fast; ``named``: number -> (name, key)), the names and
    those required."""

    draft: str
    frame: int  # (numbered like the entries)
    entries: frozenset[int]
    named: dict[int, Entry]
    names: frozenset[str]
    required: frozenset[str]


_outlines: OrderedDict[int, tuple[SchemaRef, Outline | None, int]] = OrderedDict()
_refused: OrderedDict[int, SchemaRef] = OrderedDict()
_held = {"outlines": 0, "numbered": 0, "names": 0}  # bytes of text (names: names), roughly
_lock = threading.Lock()


def outline(ref: SchemaRef, cache: DiffCache) -> Outline | None:
    """The outline of ``ref`` (typed through ``cache`` if it must be made), None when it is
    not one object node whose keys can be made; kept per schema (by identity) for the
    process."""
    key = id(ref)
    with _lock:
        found = _outlines.get(key)
        if found is not None and found[0] is ref:
            _outlines.move_to_end(key)
            return found[1]
        if _refused.get(key) is ref:
            return None
    made = _outline(ref, cache.view(ref))
    with _lock:
        if made is None:
            _refused[key] = ref
            if len(_refused) > _MAX_REFUSED:
                _refused.popitem(last=False)
            return None
        weight = 2 * sum(len(text) for _, text in made.named.values())  # (and the schema)
        old = _outlines.pop(key, None)
        if old is not None:
            _held["outlines"] -= old[2]
        _outlines[key] = (ref, made, weight)
        _held["outlines"] += weight
        while len(_outlines) > 1 and (
            len(_outlines) > _MAX_OUTLINES or _held["outlines"] > _MAX_BYTES
        ):
            _held["outlines"] -= _outlines.popitem(last=False)[1][2]
    return made


def _outline(ref: SchemaRef, view: SchemaView) -> Outline | None:
    schema = ref.schema
    if (
        not isinstance(schema, dict)
        or schema is not ref.document
        or schema.get("type") != "object"
        or not _NOT_ONE_OBJECT.isdisjoint(schema)
        or view.draft4  # (`id` is not told from a property named so: no `$ref` is keyed)
    ):
        return None
    props = schema.get("properties", {})
    if not isinstance(props, dict):
        return None
    frame_refs: list[str] = []
    parts = []
    for key in sorted(schema):
        if key == "properties":
            continue
        value = schema[key]
        refs = view.local_refs(value)  # (the root's own `$id` is not inside a value)
        if refs is None:
            return None
        if key not in _DEFINITIONS:  # (the walk meets definitions only through `$ref`s)
            frame_refs.extend(refs)
        parts.append(f"{view.written(key)}:{view.written(value)}")
    reached = _reached(view, frame_refs)
    if reached is None:
        return None
    entries = []
    reaching: dict[tuple[str, ...], str | None] = {}  # (the same `$ref`s in many properties)
    for name, sub in props.items():
        text = view.written(sub)
        if '"$' in text and any(word in text for word in _RESOLVING):
            refs = view.local_refs(sub)
            if refs is None:
                return None
            if refs not in reaching:
                reaching[refs] = _reached(view, refs)
            found = reaching[refs]
            if found is None:
                return None
            text = f"{text}\x00{found}"
        entry = (name, text)
        entries.append(entry)
    frame = "{" + ",".join(parts) + "}\x00" + reached
    named, frame_number = _numbered(entries, frame)
    required = frozenset(strings_of(schema.get("required")))
    names = frozenset(props)
    with _lock:  # (one set per distinct names: a key, compared fast)
        if len(_names) > _MAX_OUTLINES or _held["names"] > _MAX_BYTES // 64:
            _names.clear()
            _held["names"] = 0
        if names not in _names:
            _held["names"] += len(names)
        names = _names.setdefault(names, names)
    return Outline(ref.draft, frame_number, frozenset(named), named, names, required)


# one number per distinct entry and frame (from a counter, never reused)
_numbers: dict[Entry, int] = {}
_frames: dict[str, int] = {}
_names: dict[frozenset[str], frozenset[str]] = {}
_counter = itertools.count()


def _numbered(entries: list[Entry], frame: str) -> tuple[dict[int, Entry], int]:
    """number -> entry, and the frame's number."""
    with _lock:
        if _held["numbered"] > _MAX_BYTES or len(_numbers) > _MAX_VERDICTS:
            _numbers.clear()  # (numbers are never given twice: contents are only shared less)
            _frames.clear()
            _held["numbered"] = 0
        named = {}
        for entry in entries:
            number = _numbers.get(entry)
            if number is None:
                number = _numbers[entry] = next(_counter)
                _held["numbered"] += len(entry[0]) + len(entry[1])
            named[number] = entry
        frame_number = _frames.get(frame)
        if frame_number is None:
            frame_number = _frames[frame] = next(_counter)
            _held["numbered"] += len(frame)
    return named, frame_number


def _reached(view: SchemaView, refs: Iterable[str]) -> str | None:
    """The texts of the schemas ``refs`` reach, through their own `$ref`s, by pointer; None
    when one is missing, not a local pointer, or reached again from itself."""
    texts: dict[str, str] = {}
    edges: dict[str, tuple[str, ...]] = {}
    todo = list(refs)
    while todo:
        ref = todo.pop()
        if ref in texts:
            continue
        if len(texts) >= _MAX_REACHED:
            return None
        found, target = view.pointer_target(ref)
        more = view.local_refs(target) if found else None
        if more is None:
            return None
        texts[ref] = view.written(target)
        edges[ref] = more
        todo.extend(more)
    if _cyclic(edges):
        return None
    return "".join(f"{view.written(ref)}:{texts[ref]}," for ref in sorted(texts))


def _cyclic(edges: dict[str, tuple[str, ...]]) -> bool:
    done: set[str] = set()
    for start in edges:
        if start in done:
            continue
        path: set[str] = {start}
        stack = [(start, iter(edges[start]))]
        while stack:
            node, following = stack[-1]
            step = next(following, None)
            if step is None:
                stack.pop()
                path.discard(node)
                done.add(node)
            elif step in path:
                return True
            elif step not in done:
                path.add(step)
                stack.append((step, iter(edges[step])))
    return False


# verdicts by content, shared by the checks of the process (keys are numbers of contents): of
# frames, and (_found) of properties, by the new version's property: the numbers of the earlier
# versions' properties found without (with) a refused change against it. A new version that
# shares most properties with the one before finds most verdicts here.
_verdicts: dict[tuple[object, ...], bool] = {}
_found: dict[tuple[str, Policy, int], tuple[set[int], set[int]]] = {}
_MAX_VERDICTS: Final = 500_000


def _remember(key: tuple[object, ...], verdict: bool) -> bool:
    if len(_verdicts) >= _MAX_VERDICTS:
        _verdicts.clear()
    _verdicts[key] = verdict
    return verdict


class History:
    """One new version (the reader) against earlier ones (writers), BACKWARD, ``policy``,
    breaking-only; sharing ``cache`` with the walk of the same check."""

    def __init__(self, new: SchemaRef, policy: Policy, cache: DiffCache) -> None:
        self.new = new
        self.policy = policy
        self.cache = cache
        self.view = cache.view(new)
        self.outline = mine = outline(new, cache)
        # entries that contribute no refused change (the new version's own among them)
        self.covered: set[int] = set()
        self.bad: set[int] = set()
        self.by_name: dict[str, tuple[set[int], set[int]]] = {}  # (good, bad) for each name
        self.differs: dict[int, Differ] = {}
        self.added: dict[frozenset[str], tuple[bool, bool]] = {}
        self.accepted = STRICT_ACCEPTS if policy is Policy.STRICT else LENIENT_ACCEPTS
        self.skip_removed = False
        self.numbers: dict[str, int] = {}  # name -> its entry's number, in the new version
        self.frames: dict[int, tuple[frozenset[str], dict[frozenset[str], bool]]] = {}
        if mine is not None:
            self.skip_removed = removed_unseen(self.accepted, self.view.root())
            self.numbers = {entry[0]: number for number, entry in mine.named.items()}
            self.optional = mine.names - mine.required
            # what earlier checks found against the same properties of their new versions
            for name, number in self.numbers.items():
                found = _found.get((new.draft, policy, number))
                if found is None:
                    found = _found[new.draft, policy, number] = (set(), set())
                self.by_name[name] = found
                self.covered.update(found[0])
                self.bad.update(found[1])
            self.covered.update(mine.entries)
            if len(_found) > _MAX_VERDICTS:
                _found.clear()

    def unbroken(self, old: SchemaRef) -> bool:
        """True only when ``diff_schemas(old, new, policy, "", cache, breaking_only=True)``
        finds no change (False: not known, ask the walk)."""
        mine = self.outline
        if mine is None or old.draft != self.new.draft:
            return False
        theirs = outline(old, self.cache)
        if theirs is None:
            return False
        try:
            return self._unbroken(old, mine, theirs)
        except ContractError:  # (the walk raises it, at the place it meets it first)
            return False

    def _unbroken(self, old: SchemaRef, mine: Outline, theirs: Outline) -> bool:
        if not theirs.entries <= self.covered:
            rest = theirs.entries - self.covered
            if not rest.isdisjoint(self.bad):
                return False
            for number in rest:
                entry = theirs.named[number]
                if entry[0] not in mine.names:  # removed
                    if not self.skip_removed:
                        return False
                    self.covered.add(number)
                elif not self._entry(old, number, entry):
                    return False
        skip_optional, skip_required = self._skips(old, theirs)
        if not (skip_optional and skip_required):
            added = self.added.get(theirs.names)
            if added is None:  # (are required, optional properties added?)
                added = self.added[theirs.names] = (
                    not mine.required.issubset(theirs.names),
                    not self.optional.issubset(theirs.names),
                )
            if (added[0] and not skip_required) or (added[1] and not skip_optional):
                return False  # the walk looks at them
        return self._frame(old, theirs)

    def _differ(self, old: SchemaRef) -> Differ:
        """A walk of ``old`` against the new version (one per earlier version, as the check's)."""
        found = self.differs.get(id(old))
        if found is None or found.inclusion is None or found.inclusion.refs[0] is not old:
            inclusion = Inclusion(old, self.new, self.view.plain)
            found = self.differs[id(old)] = Differ(self.policy, self.cache, True, inclusion)
        return found

    def _entry(self, old: SchemaRef, number: int, entry: Entry) -> bool:
        """Does the property ``entry`` (of ``old``, also in the new version) contribute no
        refused change? What the walk's ``object`` does for it."""
        name = entry[0]
        view = self.cache.view(old)
        before = old.schema["properties"][name]  # type: ignore[index]
        after = self.new.schema["properties"][name]  # type: ignore[index]
        path = f"/properties/{escape(name)}"
        found = self._differ(old).pair(
            view.root(), before, self.view.root(), after, ("properties", name), path, (name,)
        )
        verdict = not found
        (self.covered if verdict else self.bad).add(number)
        self.by_name[name][0 if verdict else 1].add(number)
        return verdict

    def _skips(self, old: SchemaRef, theirs: Outline) -> tuple[bool, bool]:
        """(an optional, a required) property added to that frame is skipped unseen."""
        key = ("added", self.policy, theirs.frame)
        found = _skips.get(key)
        if found is None:
            if len(_skips) > _MAX_VERDICTS:
                _skips.clear()
            root = self.cache.view(old).root()
            found = _skips[key] = added_unseen(self.accepted, root)
        return found

    def _frame(self, old: SchemaRef, theirs: Outline) -> bool:
        """No refused change outside the properties (what the walk's root comparison adds to
        theirs: the annotations, then the object's frame, which reads of the properties only
        whether the writer declares a name newly required and the reader's schema of it)."""
        mine = self.outline
        assert mine is not None
        memo = self.frames.get(theirs.frame)
        if memo is None:
            memo = self.frames[theirs.frame] = (mine.required - theirs.required, {})
        newly, verdicts = memo
        declared = newly & theirs.names if newly else newly
        found = verdicts.get(declared)
        if found is not None:
            return found
        names = tuple(sorted((n, n in declared, self.numbers.get(n)) for n in newly))
        key = (self.new.draft, self.policy, theirs.frame, mine.frame, names)
        verdict = _verdicts.get(key)
        if verdict is None:
            differ = self._differ(old)
            w, r = self.cache.view(old).root(), self.view.root()
            out: list[Change] = []
            if w.meta is not None or r.meta is not None:
                differ.meta(w, r, "", (), out)
            w_props, r_props = dict_of(w.raw.get("properties")), dict_of(r.raw.get("properties"))
            differ.object_frame(w, r, w_props, r_props, "", (), out)
            verdict = _remember(key, differ.ok(out))
        verdicts[declared] = verdict
        return verdict


_skips: dict[tuple[object, ...], tuple[bool, bool]] = {}
