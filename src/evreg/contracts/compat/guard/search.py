"""The semantic guard: before a check answers "compatible", look for an event it is wrong about.

For a writer and a reader schema whose findings break nothing, :func:`counterexample` first
tries to prove that the reader accepts every value of the writer (``inclusion``, from the
schemas alone); where that fails, it walks the points where the two differ (``points``), skips
those where inclusion is proven, and at each other one runs a small witness search
(``witness.WitnessFinder`` with :data:`GUARD` limits): values valid under the writer's node
there, steered by the reader's node (just past its bounds, the names it adds, the values it
forbids), put into an event built from the writer's schema and checked with the real validators
of both sides. An event valid under the writer and rejected by the reader is a counterexample.

The search is bounded by counts, so it is deterministic: at most :data:`MAX_POINTS` points per
pair, each with the candidate and event budgets of :data:`GUARD`, and :data:`MAX_CHECK_POINTS`
points per check (all its pairs and directions), counted by the check's :class:`GuardBudget`.
The same schemas give the same points, candidates and events in the same order, whatever the
machine's load and whatever ``PYTHONHASHSEED``. A CPU-time ceiling (:data:`MAX_SECONDS`) is
only a safety net for schemas whose events take milliseconds each to validate: the clock is
read once a point has been searched, never on the common path (inclusion proven, or no point
to search), and a check that reaches it says so (:attr:`GuardBudget.timed_out`).

Points where the policy accepts a change knowingly (:func:`knowingly_accepted`: a required
property with a default, and under LENIENT the content-model changes of an object) are skipped
with the points around them (above and below): those findings carry their own witness, and the
verdict there is the policy's. The rule is read from the two schemas, not from the diff's
findings, so a check that builds no finding (a registration's verdict) guards the same points.

What it proves: a counterexample it reports is real (both validators agreed). What it cannot:
that none exists. It tries a few dozen values per point, not every value; a break that needs a
rare value (one string of a pattern, a long array, a deep combination of optional properties)
can escape it, and the rules remain the first line.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Final

from evreg.contracts.compat.guard.points import InstancePath, difference_points
from evreg.contracts.compat.matching import search
from evreg.contracts.compat.report import Change, Policy
from evreg.contracts.compat.rules import RuleId
from evreg.contracts.compat.witness import Limits, WitnessFinder
from evreg.contracts.model import SchemaRef

__all__ = [
    "GUARD",
    "MAX_POINTS",
    "GuardBudget",
    "counterexample",
    "included",
    "knowingly_accepted",
]

GUARD: Final = Limits(events=8, local=48, enclosing=0, futile=4, explore=False)  # per point
MAX_POINTS: Final = 16  # points searched per pair
MAX_CHECK_POINTS: Final = 256  # points searched per check (all its pairs and directions)
# CPU seconds per check: a safety net only (the counts above bound the search; this is reached
# only when 256 points of events that each take milliseconds to validate are searched)
MAX_SECONDS: Final = 5.0


@dataclass(slots=True)
class GuardBudget:
    """What one check may spend on its guard searches: points (the bound), and the CPU-time
    safety net, whose clock starts when the first point is searched."""

    points: int = 0
    started: float | None = None
    timed_out: bool = False

    @property
    def spent(self) -> bool:
        if self.points >= MAX_CHECK_POINTS:
            return True
        if self.started is None:
            return False
        if time.process_time() - self.started > MAX_SECONDS:
            self.timed_out = True
        return self.timed_out

    def searching(self) -> None:
        """One more point is searched (starts the safety net's clock on the first)."""
        if self.started is None:
            self.started = time.process_time()
        self.points += 1


def counterexample(
    finder: WitnessFinder,
    writer: SchemaRef,
    reader: SchemaRef,
    prefix: str,
    policy: Policy,
    budget: GuardBudget,
    included: bool | None = None,
) -> tuple[Change, Any] | None:
    """A change naming where an event valid under ``writer`` is rejected by ``reader``, and
    that event; None when the bounded search finds none. ``included``: the answer of
    :func:`included` for these schemas, when the caller asked it already."""
    inclusion = finder.inclusion
    if included if included is not None else inclusion.holds(reader.schema, writer.schema):
        return None  # proven: nothing to search for
    points = difference_points(writer, reader, prefix)
    accepted = [p.at for p in points if knowingly_accepted(p.writer_raw, p.reader_raw, policy)]
    searched = 0
    for point in points:
        if searched >= MAX_POINTS or budget.spent:
            break
        if any(_related(point.at, at) for at in accepted):
            continue
        if inclusion.holds(point.reader_raw, point.writer_raw):
            continue  # every value the writer allows here, the reader accepts
        searched += 1
        budget.searching()
        probe = Change(
            RuleId.COUNTEREXAMPLE_FOUND,
            point.path,
            writer_node=point.writer,
            reader_node=point.reader,
            instance_path=point.at,
        )
        result = finder.find(probe, GUARD)
        if result.found:
            return probe, result.value
    return None


def included(finder: WitnessFinder, writer: SchemaRef, reader: SchemaRef) -> bool:
    """Is it proven, from the schemas alone, that ``reader`` accepts every value of
    ``writer``? (The guard's first question; where it is, there is nothing to search.)"""
    return finder.inclusion.holds(reader.schema, writer.schema)


def knowingly_accepted(writer: Any, reader: Any, policy: Policy) -> bool:
    """Does the policy accept a change here although an event may show it breaks?

    A property that becomes required with a ``default`` (both policies: validators do not
    apply defaults), and under LENIENT any change of an object's content model (a property
    added or removed, ``additionalProperties``/``unevaluatedProperties``/``patternProperties``
    changed): LENIENT assumes producers send no undeclared property. Not a ``patternProperties``
    change whose pattern matches a declared property: that constrains declared values."""
    if not isinstance(writer, dict) or not isinstance(reader, dict):
        return False
    before, after = writer.get("required"), reader.get("required")
    props = reader.get("properties")
    if isinstance(after, list) and isinstance(props, dict):
        old = before if isinstance(before, list) else []
        for name in after:
            if name not in old and isinstance(props.get(name), dict) and "default" in props[name]:
                return True
    if policy is not Policy.LENIENT:
        return False
    if _patterns_reach_declared(writer, reader):
        return False  # not the content model only: declared properties must match them too
    writer_props = writer.get("properties")
    if isinstance(writer_props, dict) and isinstance(props, dict):
        if writer_props.keys() != props.keys():
            return True
    elif writer_props != props:
        return True
    return any(writer.get(kw) != reader.get(kw) for kw in _CONTENT_MODEL)


def _patterns_reach_declared(writer: dict[str, Any], reader: dict[str, Any]) -> bool:
    """A ``patternProperties`` entry that one side has and the other has not (or has
    differently) matches a property either side declares: it constrains that property's
    values, which is more than the content model LENIENT assumes producers keep to."""
    before, after = writer.get("patternProperties"), reader.get("patternProperties")
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    changed = [p for p in {*before, *after} if before.get(p) != after.get(p)]
    if not changed:
        return False
    names: set[str] = set()
    for side in (writer, reader):
        props = side.get("properties")
        if isinstance(props, dict):
            names.update(props)
    return any(search(p, name) for p in changed for name in sorted(names))


_CONTENT_MODEL: Final = ("additionalProperties", "unevaluatedProperties", "patternProperties")


def _related(at: InstancePath, other: InstancePath) -> bool:
    """One instance path is the other or inside it."""
    short = min(len(at), len(other))
    return at[:short] == other[:short]
