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

Every entry and frame also has a *content key* (sha256 of what the number stands for), and each
verdict an *identity* (sha256 of the kind of verdict, the draft, the policy and the content keys
it is about): what a registry stores so that a restart reads them instead of computing them
(:class:`Stored`). An outline comes back from its stored form through :class:`Restorer`, and
:meth:`History.unbroken_outline` answers from the verdicts known (the walk's, from this process or
read back through :meth:`History.wanted` and :meth:`History.know`) without the schema itself;
where a verdict is missing it answers False and the caller loads the schema for
:meth:`History.unbroken`.

:meth:`History.unbroken` answers True only where the walk finds no refused change; whatever it
does not model sends that version to the walk: a root that is not one plain object, another
draft, a property removed or added where the policy may refuse it, a property the walk finds a
refused change in (the walk may still show it harmless), `$ref`s that are not local pointers,
that reach too far or that recurse (the walk assumes a recursion compatible where it meets it,
which depends on where the walk enters it), an error.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import operator
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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

__all__ = ["MAKER", "History", "Outline", "Restorer", "Stored", "outline"]

# root keywords that make the root more than one object node (schema_view's parts), or that
# resolve dynamically
_NOT_ONE_OBJECT: Final = frozenset(
    {
        *("$ref", "$dynamicRef", "$recursiveRef", "enum", "const", "not"),
        *("allOf", "anyOf", "oneOf", "if", "then", "else"),
    }
)
_DEFINITIONS: Final = frozenset({"$defs", "definitions"})
# root keywords left out of the frame's key: no verdict about a frame depends on them (the walk
# meets definitions only through `$ref`s, whose targets' texts the keys hold; of the
# annotations the root comparison reads, a changed title or description is accepted by every
# policy). Consecutive versions that differ there share one frame and its verdicts.
_NOT_IN_FRAME: Final = frozenset({*_DEFINITIONS, "title", "description"})
_RESOLVING: Final = ('"$ref"', '"$dynamicRef"', '"$recursiveRef"')
_MAX_REACHED: Final = 64  # `$ref`s followed for one key (as `DiffCache.same_with_refs`)
_MAX_OUTLINES: Final = 4096
_MAX_REFUSED: Final = 256  # schemas kept whose outline could not be made
# text held for the process (by the outlines kept, which hold their schemas too; and by the
# numbering): each bound dropped from the oldest (outlines) or at once (numbering)
_MAX_BYTES: Final = 32 * 1024 * 1024

Entry = tuple[str, str]  # (property name, key of its content)
# a frame verdict's names: (name newly required, declared by the earlier schema, its entry's
# number in the new version); its key: (draft, policy, earlier frame, new frame, names)
_FrameNames = tuple[tuple[str, bool, int | None], ...]
_FrameKey = tuple[str, Policy, int, int, _FrameNames]
_FIRST: Final = operator.itemgetter(0)

# names how content keys and verdict identities are made: a stored row of another maker is
# not read (a change to the outline or to what a verdict depends on changes it)
MAKER: Final = "history-2"


@dataclass(frozen=True, slots=True, weakref_slot=True)
class Outline:
    """What a schema's root object holds, by content: its draft, a key for its frame (the
    root without ``properties``), each property's (name, key) by a number for the process
    (``entries``, numbers sets compare fast; ``named``: number -> (name, key)), the names and
    those required. ``after``: see :func:`added_since`."""

    draft: str
    frame: int  # (numbered like the entries)
    entries: frozenset[int]
    named: dict[int, Entry]
    names: frozenset[str] | None  # (None: not made yet, see names_of)
    required: frozenset[str]
    after: tuple[weakref.ref[Outline], frozenset[int] | None] | None = field(
        default=None, compare=False, repr=False
    )


def names_of(made: Outline) -> frozenset[str]:
    """The names of an outline's properties (made when first asked, for a restored one)."""
    names = made.names
    if names is None:
        names = frozenset(map(_FIRST, map(made.named.__getitem__, made.entries)))
        with _lock:
            names = _names.setdefault(names, names)
        object.__setattr__(made, "names", names)  # (the same value in any thread)
    return names


def added_since(before: Outline, made: Outline) -> frozenset[int] | None:
    """The entries of ``made`` that ``before`` does not hold, None when they are more than a
    quarter of its entries (not worth going through ``before``). Kept on ``made`` for the last
    ``before`` asked (weakly): an earlier version is compared after the same neighbour at each
    check of its history, so each check finds it here instead of comparing whole sets."""
    after = made.after
    if after is not None and after[0]() is before:
        return after[1]
    added = made.entries - before.entries
    found = added if 4 * len(added) <= len(made.entries) else None
    object.__setattr__(made, "after", (weakref.ref(before), found))  # (any thread: any value)
    return found


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
        if key not in _NOT_IN_FRAME:
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
    with _lock:
        names = _interned(frozenset(props))
    return Outline(ref.draft, frame_number, frozenset(named), named, names, required)


def _interned(names: frozenset[str]) -> frozenset[str]:
    """(with _lock held) one set per distinct names: a key, compared fast"""
    if len(_names) > _MAX_OUTLINES or _held["names"] > _MAX_BYTES // 64:
        _names.clear()
        _held["names"] = 0
    if names not in _names:
        _held["names"] += len(names)
    return _names.setdefault(names, names)


# one number per distinct entry and frame (from a counter, never reused), and each one's
# content key (a number given for a stored key first keeps it when the content is outlined)
_numbers: dict[Entry, int] = {}
_frames: dict[str, int] = {}
_names: dict[frozenset[str], frozenset[str]] = {}
_keys: dict[int, str] = {}  # number -> content key
_by_key: dict[str, int] = {}
_counter = itertools.count()


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _drop_numbers() -> None:
    """(with _lock held) numbers are never given twice: contents are only shared less; the
    outlines kept are dropped too (their numbers would have no content key left to store a
    verdict about them by)"""
    _numbers.clear()
    _frames.clear()
    _keys.clear()
    _by_key.clear()
    _held["numbered"] = 0
    _outlines.clear()
    _held["outlines"] = 0


def _numbered(entries: list[Entry], frame: str) -> tuple[dict[int, Entry], int]:
    """number -> entry, and the frame's number."""
    with _lock:
        if _held["numbered"] > _MAX_BYTES or len(_numbers) > _MAX_VERDICTS:
            _drop_numbers()
        named = {}
        for entry in entries:
            number = _numbers.get(entry)
            if number is None:
                name, text = entry
                number = _keyed(_sha(f"{len(name)}:{name}{text}"))
                _numbers[entry] = number
                _held["numbered"] += len(name) + len(text)
            named[number] = entry
        frame_number = _frames.get(frame)
        if frame_number is None:
            frame_number = _frames[frame] = _keyed(_sha(frame))
            _held["numbered"] += len(frame)
    return named, frame_number


def _keyed(key: str) -> int:
    """(with _lock held) the number of a content key."""
    number = _by_key.get(key)
    if number is None:
        number = _by_key[key] = next(_counter)
        _keys[number] = key
    return number


class Restorer:
    """Outlines back from their stored form: ``entries`` maps the store's id of each entry to
    its (name, content key); an outline is then its draft, its frame's content key, its
    required names and the ids of its entries. Made once for the outlines read together.

    Outlines restored one after the other share most of their entries (a history's versions):
    each is made from the one restored before it, its entries and names changed by the ids
    one has and the other has not (set operations; a Python step per id that differs only),
    unless they differ in more than half."""

    def __init__(self, entries: Mapping[int, tuple[str, str]]) -> None:
        self._number: dict[int, int] = {}
        self._frames: dict[str, int] = {}  # (the same frames and required names in many)
        self._requireds: dict[frozenset[str], frozenset[str]] = {}
        self._named: dict[int, Entry] = {}  # (shared by the outlines restored: names only)
        # the outline restored last: its ids, entries and names (None: not one per entry)
        self._last: tuple[frozenset[int], frozenset[int], frozenset[str] | None] | None = None
        with _lock:
            if len(_by_key) > _MAX_VERDICTS:
                _drop_numbers()
            for ident, (name, key) in entries.items():
                number = self._number[ident] = _keyed(key)
                self._named[number] = (name, "")

    def outline(
        self, draft: str, frame: str, required: Iterable[str], ids: Sequence[int]
    ) -> Outline | None:
        """None when an id is unknown or given twice (a damaged row: the schema is outlined)."""
        given = frozenset(ids)
        if len(given) != len(ids):
            return None
        made = self._derived(given)
        if made is None:
            return None
        entries, names = made
        frame_number = self._frames.get(frame)
        if frame_number is None:
            with _lock:
                frame_number = self._frames[frame] = _keyed(frame)
        return Outline(draft, frame_number, entries, self._named, names, self._required(required))

    def _derived(
        self, given: frozenset[int]
    ) -> tuple[frozenset[int], frozenset[str] | None] | None:
        """The entries and names of the ids ``given`` (None: an id unknown)."""
        number, named = self._number, self._named
        last = self._last
        try:
            if last is not None:
                ids, entries, names = last
                gone = [number[i] for i in ids - given]
                new = [number[i] for i in given - ids]
            if last is not None and 2 * (len(gone) + len(new)) <= len(given):
                if gone or new:
                    entries = entries.difference(gone).union(new)
                before = {named[n][0] for n in gone}
                after = {named[n][0] for n in new}
                if names is not None and before != after:
                    # (one name per entry in ``last``: its names change so)
                    names = names.difference(before).union(after)
            else:
                entries = frozenset(map(number.__getitem__, given))
                names = frozenset(named[n][0] for n in entries)
        except KeyError:
            return None
        if names is not None and len(names) != len(entries):
            names = None  # (a name twice: names_of makes them, the next one from scratch)
        elif names is not None and (last is None or names is not last[2]):
            with _lock:
                names = _interned(names)
        self._last = (given, entries, names)
        return entries, names

    def _required(self, required: Iterable[str]) -> frozenset[str]:
        names = frozenset(required)  # (the same set when given one: hashed once)
        return self._requireds.setdefault(names, names)


def stored_form(made: Outline) -> tuple[str, tuple[str, ...], dict[str, str]] | None:
    """(frame's content key, required names, content key -> name of each entry) of an outline
    made in this process; None once its numbers were dropped (for their bound)."""
    with _lock:
        frame = _keys.get(made.frame)
        entries = {_keys.get(number): entry[0] for number, entry in made.named.items()}
    if frame is None or None in entries or len(entries) != len(made.entries):
        return None
    return frame, tuple(sorted(made.required)), entries  # type: ignore[return-value]


@dataclass
class Stored:
    """What a check reads from a store and adds to it, as plain values (the caller reads and
    writes the rows): ``read`` gives the stored verdicts of the identities asked (those it
    holds; a value out of range is ignored); ``verdicts`` receives each verdict the walk
    proved in this check (identity -> value), ``outlines`` the outline of each schema whose
    key (``check_pairs``' ``keys`` and ``key``) is in ``missing``, in its stored form (draft,
    frame key, required names, entries' content key -> name)."""

    read: Callable[[Sequence[str]], Mapping[str, int]] = lambda identities: {}
    missing: Container[str] = frozenset()
    verdicts: dict[str, int] = field(default_factory=dict)
    outlines: dict[str, tuple[str, str, tuple[str, ...], dict[str, str]]] = field(
        default_factory=dict
    )
    made: dict[str, Outline] = field(default_factory=dict)  # (the same outlines, as made)

    def keep(self, key: str, made: Outline | None) -> None:
        """Keep the stored form of ``made``, the outline of the schema ``key`` names."""
        if made is None or key in self.outlines:
            return
        form = stored_form(made)
        if form is not None:
            self.outlines[key] = (made.draft, *form)
            self.made[key] = made


def _identity(*parts: object) -> str:
    """sha256 naming a verdict: its kind, the draft, the policy and what it is about."""
    if parts[0] == "entry":  # (the most asked: the last four parts are a draft, a policy
        # and two hex keys, which a NUL between them tells apart whatever the draft holds)
        return _sha("\x00".join((MAKER, *parts)))  # type: ignore[arg-type]
    return _sha(json.dumps([MAKER, *parts], ensure_ascii=False, separators=(",", ":")))


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


class _Unknown(Exception):
    """A stored outline needs a verdict not known (the schema must be loaded)."""


class History:
    """One new version (the reader) against earlier ones (writers), BACKWARD, ``policy``,
    breaking-only; sharing ``cache`` with the walk of the same check. ``stored``: where the
    verdicts the walk proves are kept (by identity) for a store."""

    def __init__(
        self, new: SchemaRef, policy: Policy, cache: DiffCache, stored: Stored | None = None
    ) -> None:
        self.new = new
        self.policy = policy
        self.cache = cache
        self.stored = stored
        self.view = cache.view(new)
        self.outline = mine = outline(new, cache)
        # entries that contribute no refused change (the new version's own among them)
        self.covered: set[int] = set()
        self.bad: set[int] = set()
        self.by_name: dict[str, tuple[set[int], set[int]]] = {}  # (good, bad) for each name
        self.differs: dict[int, Differ] = {}
        # (frame, names) of an earlier outline -> what its frame and names answer
        self.tails: dict[tuple[int, frozenset[str]], bool] = {}
        self.last: tuple[Outline, frozenset[int]] | None = None  # see _uncovered
        self.accepted = STRICT_ACCEPTS if policy is Policy.STRICT else LENIENT_ACCEPTS
        self.skip_removed = False
        self.numbers: dict[str, int] = {}  # name -> its entry's number, in the new version
        self.frames: dict[int, tuple[frozenset[str], dict[frozenset[str], bool]]] = {}
        self.asked: dict[str, tuple[object, ...]] = {}  # identity -> what it answers
        if mine is not None:
            self.skip_removed = removed_unseen(self.accepted, self.view.root())
            self.numbers = {entry[0]: number for number, entry in mine.named.items()}
            self.optional = names_of(mine) - mine.required
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

    def unbroken_outline(self, theirs: Outline) -> bool | None:
        """:meth:`unbroken` of the schema ``theirs`` outlines, from the verdicts known alone:
        None when one is not known (:meth:`wanted` names it), False when the walk must look
        (load the schema)."""
        mine = self.outline
        if mine is None or theirs.draft != self.new.draft:
            return False
        try:
            return self._unbroken(None, mine, theirs)
        except _Unknown:
            return None

    def wanted(self, outlines: Iterable[Outline]) -> list[str]:
        """The identities of the verdicts :meth:`unbroken_outline` would need for
        ``outlines`` and this process does not know (to read them from a store)."""
        mine = self.outline
        if mine is None:
            return []
        draft, policy = self.new.draft, self.policy
        keys = _keys  # (read without the lock: a key missing only leaves a verdict unasked)
        mine_frame = keys.get(mine.frame)
        seen: set[int] = set()
        frames: set[object] = set()
        # (the outline gone through before: each of its entries is seen, covered or bad, so
        # of the next one's only those it adds can be new; its neighbour's, as _uncovered's)
        before: Outline | None = None
        for theirs in outlines:
            if theirs.draft != draft:
                continue
            added = None if before is None else added_since(before, theirs)
            before = theirs
            fresh = theirs.entries if added is None else added
            for number in fresh.difference(self.covered, self.bad, seen):
                seen.add(number)
                name = theirs.named[number][0]
                newer = self.numbers.get(name)
                if newer is not None and number in keys and newer in keys:
                    ident = _identity("entry", draft, policy.value, keys[newer], keys[number])
                    self.asked[ident] = ("entry", name, number)
            frame = keys.get(theirs.frame)
            if frame is None or mine_frame is None:
                continue
            if ("added", policy, theirs.frame) not in _skips and theirs.frame not in frames:
                frames.add(theirs.frame)
                self.asked[_identity("added", draft, policy.value, frame)] = ("added", theirs.frame)
            newly = mine.required - theirs.required
            declared = newly & names_of(theirs) if newly else newly
            key = self._frame_key(theirs.frame, newly, declared)
            if key in frames:
                continue
            frames.add(key)
            written = self._written(key[4])
            if key not in _verdicts and all(k is not None for _, _, k in written):
                ident = _identity("frame", draft, policy.value, frame, mine_frame, written)
                self.asked[ident] = ("frame", key)
        return list(self.asked)

    def know(self, found: Mapping[str, int]) -> None:
        """Stored verdicts, by identity (of those :meth:`wanted` asked; others are ignored, and
        so is a value out of range)."""
        for ident, value in found.items():
            asked = self.asked.get(ident)
            if asked is None or not isinstance(value, int):
                continue
            if asked[0] == "entry" and value in (0, 1):
                _, name, number = asked
                (self.covered if value else self.bad).add(number)  # type: ignore[arg-type]
                self.by_name[name][0 if value else 1].add(number)  # type: ignore[index,arg-type]
            elif asked[0] == "added" and 0 <= value <= 3:
                if len(_skips) > _MAX_VERDICTS:
                    _skips.clear()
                _skips["added", self.policy, asked[1]] = (bool(value & 2), bool(value & 1))
            elif asked[0] == "frame" and value in (0, 1):
                _remember(asked[1], bool(value))  # type: ignore[arg-type]

    def _proved(self, *parts: object) -> None:
        """Keep a verdict the walk proved for the store, when its content keys are known."""
        if self.stored is None:
            return
        *about, value = parts
        with _lock:
            keys = [_keys.get(p) if isinstance(p, int) else p for p in about[1:]]
        written = keys[-1] if about[0] == "frame" else []
        if None not in keys and all(k is not None for _, _, k in written):  # type: ignore[attr-defined]
            ident = _identity(about[0], self.new.draft, self.policy.value, *keys)
            self.stored.verdicts[ident] = int(value)  # type: ignore[call-overload]

    def _unbroken(self, old: SchemaRef | None, mine: Outline, theirs: Outline) -> bool:
        rest = self._uncovered(theirs)
        if rest:
            if not rest.isdisjoint(self.bad):
                return False
            mine_names = names_of(mine)
            for number in rest:
                entry = theirs.named[number]
                if entry[0] not in mine_names:  # removed
                    if not self.skip_removed:
                        return False
                    self.covered.add(number)
                elif old is None:
                    raise _Unknown
                elif not self._entry(old, number, entry):
                    return False
        key = (theirs.frame, names_of(theirs))
        found = self.tails.get(key)
        if found is None:
            found = self.tails[key] = self._tail(old, theirs)
        return found

    def _uncovered(self, theirs: Outline) -> frozenset[int]:
        """The entries of ``theirs`` not covered, from those of the outline asked before it
        where the two share most entries (consecutive versions do): what that one left
        uncovered and still holds, and what ``theirs`` adds to it; else in full."""
        covered, last = self.covered, self.last
        added = None if last is None else added_since(last[0], theirs)
        if added is None:
            rest = theirs.entries - covered
        else:
            rest = added - covered
            if last[1]:  # type: ignore[index]
                rest |= (last[1] & theirs.entries) - covered  # type: ignore[index]
        self.last = (theirs, rest)
        return rest

    def _tail(self, old: SchemaRef | None, theirs: Outline) -> bool:
        """What an earlier version's frame and names add to its properties' verdicts: no
        property added where the walk must look, no refused change in the frame (the same for
        each outline with that frame and names)."""
        mine = self.outline
        assert mine is not None
        names = names_of(theirs)
        skip_optional, skip_required = self._skips(old, theirs)
        if (not skip_required and not mine.required.issubset(names)) or (
            not skip_optional and not self.optional.issubset(names)
        ):
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
        self._proved("entry", self.numbers[name], number, verdict)
        return verdict

    def _skips(self, old: SchemaRef | None, theirs: Outline) -> tuple[bool, bool]:
        """(an optional, a required) property added to that frame is skipped unseen."""
        key = ("added", self.policy, theirs.frame)
        found = _skips.get(key)
        if found is None:
            if old is None:
                raise _Unknown
            if len(_skips) > _MAX_VERDICTS:
                _skips.clear()
            root = self.cache.view(old).root()
            found = _skips[key] = added_unseen(self.accepted, root)
            self._proved("added", theirs.frame, 2 * found[0] + found[1])
        return found

    def _frame(self, old: SchemaRef | None, theirs: Outline) -> bool:
        """No refused change outside the properties (what the walk's root comparison adds to
        theirs: the annotations, then the object's frame, which reads of the properties only
        whether the writer declares a name newly required and the reader's schema of it)."""
        mine = self.outline
        assert mine is not None
        memo = self.frames.get(theirs.frame)
        if memo is None:
            memo = self.frames[theirs.frame] = (mine.required - theirs.required, {})
        newly, verdicts = memo
        declared = newly & names_of(theirs) if newly else newly
        found = verdicts.get(declared)
        if found is not None:
            return found
        key = self._frame_key(theirs.frame, newly, declared)
        verdict = _verdicts.get(key)
        if verdict is None:
            if old is None:
                raise _Unknown
            differ = self._differ(old)
            w, r = self.cache.view(old).root(), self.view.root()
            out: list[Change] = []
            if w.meta is not None or r.meta is not None:
                differ.meta(w, r, "", (), out)
            w_props, r_props = dict_of(w.raw.get("properties")), dict_of(r.raw.get("properties"))
            differ.object_frame(w, r, w_props, r_props, "", (), out)
            verdict = _remember(key, differ.ok(out))
            self._proved("frame", theirs.frame, mine.frame, self._written(key[4]), verdict)
        verdicts[declared] = verdict
        return verdict

    def _frame_key(self, frame: int, newly: frozenset[str], declared: frozenset[str]) -> _FrameKey:
        """The key of a frame verdict (``_verdicts``): the draft, the policy, the two frames and
        the names the new version newly requires, each with whether ``frame``'s schema declares
        it and the number of its entry in the new version; the last part is what
        :meth:`_written` takes."""
        mine = self.outline
        assert mine is not None
        names = tuple(sorted((n, n in declared, self.numbers.get(n)) for n in newly))
        return (self.new.draft, self.policy, frame, mine.frame, names)

    @staticmethod
    def _written(names: _FrameNames) -> list[tuple[str, bool, str | None]]:
        """The names of a frame verdict with content keys for numbers ("" for none; None when
        a number's key was dropped)."""
        with _lock:
            return [(n, d, "" if m is None else _keys.get(m)) for n, d, m in names]


_skips: dict[tuple[object, ...], tuple[bool, bool]] = {}
