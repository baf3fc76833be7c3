"""Inclusions between whole schemas proven once and reused: the guard's cost on a long history.

The semantic guard (``search.counterexample``) first asks the inclusion proof whether the
reader accepts every event of the writer. When it does, the guard has nothing to search and
finds nothing. Inclusion is transitive: if every event of version 1 is read by version 2, and
every event of version 2 by version 3, every event of version 1 is read by version 3. So once
``v1 ⊆ v2`` was proven (when version 2 was registered) and ``v2 ⊆ v3`` is proven now, the guard
of the pair (v1, v3) can find nothing either, whatever its own proof or search would do: a
counterexample it reports is an event both validators agreed on (valid under the writer,
asserting formats; rejected by the reader, not asserting them), and no such event exists when
the proofs hold (they read formats as annotations, which only admits more writer events). A
transitive check then proves one inclusion (the new version against the newest earlier one)
and looks the others up, where it proved one per earlier version.

:class:`KnownInclusions` keeps such facts between whole contracts by keys the caller chooses
(a registry uses its content fingerprints, which name the text, the references and the dialect
a schema was read with), and answers whether a pair is known through a chain of them. It holds
only what a proof showed (:attr:`proven`, what a caller may persist) and what was derived from
those (kept in memory only). It changes which pairs the guard proves, never a finding: the
check reports exactly what it reports without it, as long as the proofs are sound (the
soundness fuzzer's subject, docs/compatibility.md).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Final

__all__ = ["PROVER", "KnownInclusions"]

# Names the prover whose facts these are. A registry keeps facts under this name and ignores
# others: change it when a change to proofs/ withdraws a proof it used to give (a soundness
# fix), so that no fact an older prover proved wrongly is reused.
PROVER: Final = "inclusion-1"

_MAX_VISITS: Final = 512  # keys one lookup visits through chains; past that: not known


class KnownInclusions:
    """Proven inclusions ``writer ⊆ reader`` (every event the writer's schema allows, the
    reader's accepts) between whole schemas, by caller-chosen keys. Thread-safe.

    ``max_facts`` bounds the facts held; when it is reached they are all dropped (they are a
    cache: a pair not known is proven again)."""

    def __init__(self, proven: Iterable[tuple[str, str]] = (), max_facts: int = 200_000) -> None:
        self.max_facts = max_facts
        self._lock = threading.Lock()
        self._supersets: dict[str, set[str]] = {}
        self._subsets: dict[str, set[str]] = {}  # the same facts by reader
        self._count = 0
        self.generation = 0  # counts the times every fact was dropped (max_facts reached)
        self._proven: list[tuple[str, str]] = []  # proven since the last take_proven()
        for writer, reader in proven:
            self._add(writer, reader)

    def __len__(self) -> int:
        return self._count

    def holds(self, writer: str, reader: str) -> bool:
        """Is ``writer ⊆ reader`` known, directly or through a chain of known inclusions?"""
        if writer == reader:
            return True
        with self._lock:
            return self._holds(writer, reader)

    def derive(self, writer: str, reader: str) -> bool:
        """:meth:`holds`, and a fact known through a chain recorded (derived, as
        ``add(..., proven=False)``: the next lookup finds it in one step); under one lock."""
        if writer == reader:
            return True
        with self._lock:
            if not self._holds(writer, reader):
                return False
            self._add(writer, reader)
            return True

    def _holds(self, writer: str, reader: str) -> bool:
        """(with the lock held)"""
        direct = self._supersets.get(writer)
        if direct is None:
            return False
        if reader in direct:
            return True
        # writer ⊆ k ⊆ reader: the common case (a new version, proven against the newest
        # earlier one, which every older one is known in), one set operation
        below = self._subsets.get(reader)
        if below is None:
            return False
        if not below.isdisjoint(direct):
            return True
        seen = {writer}
        todo = list(direct)
        while todo and len(seen) < _MAX_VISITS:
            key = todo.pop()
            if key in seen:
                continue
            seen.add(key)
            above = self._supersets.get(key)
            if above is None:
                continue
            if not below.isdisjoint(above):
                return True
            todo.extend(above - seen)
        return False

    def add(self, writer: str, reader: str, *, proven: bool = True) -> None:
        """Record ``writer ⊆ reader``: ``proven`` by a proof (also listed for
        :meth:`take_proven`), or derived from known facts (kept in memory only)."""
        with self._lock:
            if self._add(writer, reader) and proven:
                self._proven.append((writer, reader))

    def load(self, facts: Iterable[tuple[str, str]]) -> None:
        """Record facts proven before (read back from where a caller persisted them)."""
        with self._lock:
            for writer, reader in facts:
                self._add(writer, reader)

    def take_proven(self) -> list[tuple[str, str]]:
        """The facts proven since the last call (for a caller to persist), and forget them."""
        with self._lock:
            out, self._proven = self._proven, []
            return out

    def _add(self, writer: str, reader: str) -> bool:
        if writer == reader:
            return False
        above = self._supersets.get(writer)
        if above is None:
            if self._count >= self.max_facts:
                self._supersets.clear()
                self._subsets.clear()
                self._count = 0
                self.generation += 1
            above = self._supersets[writer] = set()
        if reader in above:
            return False
        above.add(reader)
        below = self._subsets.get(reader)
        if below is None:
            below = self._subsets[reader] = set()
        below.add(writer)
        self._count += 1
        return True
