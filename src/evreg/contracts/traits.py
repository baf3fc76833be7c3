"""AsyncAPI traits: resolve them and merge them by each spec version's rule.

* 2.x: "Traits MUST be merged into the message object using the JSON Merge Patch algorithm in
  the same order they are defined": each trait is a patch on the message, so **the trait wins**.
* 3.0: "A property on a trait MUST NOT override the same property on the target object": traits
  are merged in order, then the object is applied on top, so **the object's own fields win**.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from evreg.contracts import pointer
from evreg.contracts.errors import ContractError
from evreg.contracts.merge import merge_patch
from evreg.contracts.refs import RefResolver, Target


def resolve_traits(refs: RefResolver, target: Target) -> list[Target]:
    """The trait objects of the message or operation at ``target``, in the order listed."""
    at = pointer.join(target.pointer, "traits")
    listed = target.contents.get("traits")
    if listed is None:
        return []
    if not isinstance(listed, list):
        raise ContractError("traits must be a list", pointer=at)
    traits = []
    for i, item in enumerate(listed):
        trait = refs.deref(refs.within(target, item, pointer.join(at, i)))
        if not isinstance(trait.contents, dict):
            raise ContractError("a trait must be an object", pointer=trait.pointer)
        traits.append(trait)
    return traits


def by_precedence(major: int, target: Target, traits: list[Target]) -> list[Target]:
    """The object and its traits, the one whose fields win first."""
    if major == 2:
        return [*reversed(traits), target]
    return [target, *reversed(traits)]


def merged_fields(
    major: int, target: Target, traits: list[Target], skip: Collection[str]
) -> dict[str, Any]:
    """The object with its traits merged in, without the ``skip`` fields."""
    merged: Any = {}
    for source in reversed(by_precedence(major, target, traits)):
        patch = {k: v for k, v in source.contents.items() if k not in skip}
        merged = merge_patch(merged, patch)
    return dict(merged)


def contributors(
    refs: RefResolver, key: str, major: int, target: Target, traits: list[Target]
) -> list[Target]:
    """Where the value of ``key`` comes from after merging, the winner first.

    A ``null`` deletes what lower-precedence sources said, as in a merge patch.
    """
    found = []
    for source in by_precedence(major, target, traits):
        if key not in source.contents:
            continue
        value = source.contents[key]
        if value is None:
            break
        found.append(refs.within(source, value, pointer.join(source.pointer, key)))
    return found
