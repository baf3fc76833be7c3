"""compat_cache.LRU: bounded by entries and by the bytes its values weigh; ``put_all`` weighs a
value put under many keys once (a check puts one shared report for every pair without a
finding) and counts it under each key."""

from __future__ import annotations

from evreg.registry.compat_cache import LRU


def test_put_all_weighs_a_shared_value_once_and_counts_it_per_key() -> None:
    weighed: list[str] = []

    def weigh(value: str) -> int:
        weighed.append(value)
        return len(value)

    cache: LRU[int, str] = LRU(100, max_bytes=100, weigh=weigh)
    shared = "x" * 8
    cache.put_all([(1, shared), (2, shared), (3, "yy"), (4, shared)])
    assert weighed == [shared, "yy"]
    assert cache.bytes == 3 * 8 + 2
    cache.put_all([(2, "z")])  # (a key put again: its old weight replaced)
    assert cache.bytes == 2 * 8 + 2 + 1
    cache.put_all([(k, shared) for k in range(5, 20)])  # past 100 bytes: oldest dropped
    assert cache.bytes == 12 * 8 and len(cache) == 12
    assert cache.cached([1, 19]) == [None, shared]
