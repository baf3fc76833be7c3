"""What the BACKWARD_TRANSITIVE check keeps in the database so that a restart costs what a warm
check costs: each stored schema's outline and the verdicts the walk proved about contents
(``evreg.contracts.compat.diff.history``; tables ``outline_entries``, ``outlines``,
``content_verdicts``).

An earlier version whose contract this process has not loaded is given to the engine by its
stored outline (``check.Deferred``): it is loaded only when a verdict it needs is not stored.
The verdicts a check proves and the outlines it makes of schemas without a stored one are
written with the next registration (the rows a check reads cannot be written in its read
transaction). All of it is keyed by content (fingerprints, sha256 of contents): rows written
by any registry process on the same database serve the others; a row that does not match its
digest, or names an entry missing, is not read (the schema is loaded, as without rows).
"""

from __future__ import annotations

import array
import hashlib
import json
import sys
import threading
from collections.abc import Sequence
from typing import Any

from evreg.contracts.compat.diff.history import MAKER, Outline, Restorer, Stored
from evreg.registry.store.work import ReadWork, WriteWork

_ID = "q"  # entry ids in a row: 8 bytes each, little-endian
_SWAP = sys.byteorder != "little"
_MAX_PENDING = 100_000  # verdicts and outlines waiting for a registration to write them


def digest(fingerprint: str, draft: str, frame: str, required: str, entries: bytes) -> str:
    """What an ``outlines`` row's ``digest`` holds: sha256 over the row's other values."""
    found = hashlib.sha256()
    for part in (MAKER, fingerprint, draft, frame, required):
        found.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    found.update(entries)
    return found.hexdigest()


def _names(text: str) -> frozenset[str] | None:
    """A row's required names (a JSON list of strings), None if it is not one."""
    try:
        names = json.loads(text)
    except ValueError:
        return None
    if not isinstance(names, list) or not set(map(type, names)) <= {str}:
        return None
    return frozenset(names)


class _Unstored:
    """The fingerprints whose outline is not known to be stored (``Stored.missing``)."""

    def __init__(self, stored: set[str]) -> None:
        self.stored = stored

    def __contains__(self, fingerprint: object) -> bool:
        return fingerprint not in self.stored


class StoredOutlines:
    """The process's side of the stored outlines and verdicts: the outlines restored (bounded
    by bytes), the fingerprints known stored, the ids of entries, and what waits to be written.
    Thread-safe."""

    def __init__(self, size: int, max_bytes: int | None = None) -> None:
        # outlines by fingerprint, restored or made here (all dropped past the bounds)
        self.restored: dict[str, Outline] = {}
        self._restored_bytes = 0
        self._max_bytes = max_bytes or 64 * 1024 * 1024
        self._lock = threading.Lock()
        self._stored: set[str] = set()  # fingerprints with a row
        self._ids: dict[str, int] = {}  # content key -> entry id
        self._verdicts: dict[str, int] = {}
        self._outlines: dict[str, tuple[str, str, tuple[str, ...], dict[str, str]]] = {}
        self._made: dict[str, Outline] = {}
        self._bound = 64 * size

    def restore(self, work: ReadWork, fingerprints: Sequence[str]) -> dict[str, Outline]:
        """The outlines of those of ``fingerprints`` stored (from the process, else read)."""
        out: dict[str, Outline] = {}
        unread = []
        with self._lock:
            restored = self.restored
            for fingerprint in fingerprints:
                found = restored.get(fingerprint)
                if found is None:
                    unread.append(fingerprint)
                else:
                    out[fingerprint] = found
        if not unread:
            return out
        read = {row[0]: row for row in work.outlines(unread, MAKER)}
        rows = []
        # (the same required names in many rows: one set for each, hashed once)
        parsed: dict[str, frozenset[str] | None] = {}
        for fingerprint in unread:  # (in the order asked: a history's versions one by one)
            stored = read.get(fingerprint)
            if stored is None:
                continue
            _, draft, frame, required, entries, check = stored
            if len(entries) % 8 or check != digest(fingerprint, draft, frame, required, entries):
                continue  # (damaged: the schema is loaded and outlined)
            packed = array.array(_ID, entries)
            if _SWAP:
                packed.byteswap()
            if required not in parsed:
                parsed[required] = _names(required)
            names = parsed[required]
            if names is not None:
                rows.append((fingerprint, draft, frame, names, packed))
        if not rows:
            return out
        wanted: set[int] = set()
        for row in rows:
            wanted.update(row[4])
        named = work.outline_entries(wanted)
        restorer = Restorer(named)
        for fingerprint, draft, frame, names, ids in rows:
            made = restorer.outline(draft, frame, names, ids)
            if made is not None:
                out[fingerprint] = made
        with self._lock:
            self._remember(out)
            self._bounded(self._stored).update(out)
            ids_of = self._bounded(self._ids)
            for ident, (_, key) in named.items():
                ids_of[key] = ident
        return out

    def stored(self, work: ReadWork) -> Stored:
        """What a check reads its verdicts from and keeps its facts in (see :meth:`keep`)."""
        return Stored(read=work.content_verdicts, missing=_Unstored(self._stored))

    def _remember(self, outlines: dict[str, Outline]) -> None:
        """(with the lock held)"""
        for made in outlines.values():
            self._restored_bytes += 16 * len(made.entries) + 512
        if self._restored_bytes > self._max_bytes or len(self.restored) > self._bound:
            self.restored.clear()
            self._restored_bytes = 0
        self.restored.update(outlines)

    def keep(self, stored: Stored) -> None:
        """Keep what a check proved and made, to write with the next registration."""
        if not (stored.verdicts or stored.outlines):
            return
        with self._lock:
            if len(self._verdicts) + len(self._outlines) > _MAX_PENDING:
                self._verdicts.clear()
                self._outlines.clear()
                self._made.clear()
            self._verdicts.update(stored.verdicts)
            self._outlines.update(stored.outlines)
            self._made.update(stored.made)

    def write(self, work: WriteWork) -> None:
        """Write what waits (in the registration's transaction)."""
        with self._lock:
            verdicts, self._verdicts = self._verdicts, {}
            outlines, self._outlines = self._outlines, {}
            made, self._made = self._made, {}
            outlines = {f: o for f, o in outlines.items() if f not in self._stored}
            have = self._ids
            known = {k: have[k] for o in outlines.values() for k in o[3] if k in have}
        if verdicts:
            work.add_content_verdicts(verdicts)
        if not outlines:
            return
        named: dict[str, str] = {}
        for _, _, _, entries in outlines.values():
            named.update((k, n) for k, n in entries.items() if k not in known)
        if named:
            known.update(work.outline_entry_ids(named))
        rows: list[dict[str, Any]] = []
        for fingerprint, (draft, frame, required, entries) in outlines.items():
            ids = array.array(_ID, (known[key] for key in entries))
            if _SWAP:
                ids.byteswap()
            body = ids.tobytes()
            names = json.dumps(list(required), ensure_ascii=False)
            rows.append(
                {
                    "fingerprint": fingerprint,
                    "maker": MAKER,
                    "draft": draft,
                    "frame": frame,
                    "required": names,
                    "entries": body,
                    "digest": digest(fingerprint, draft, frame, names, body),
                }
            )
        work.add_outlines(rows)

        def committed() -> None:  # (ids of a transaction rolled back are not remembered)
            with self._lock:
                self._remember({f: made[f] for f in outlines if f in made})
                self._bounded(self._stored).update(outlines)
                ids_of = self._bounded(self._ids)
                for _, _, _, entries in outlines.values():
                    for key in entries:
                        ids_of[key] = known[key]

        work.on_commit(committed)

    def _bounded(self, kept: Any) -> Any:
        """(with the lock held) ``kept``, emptied past its bound first."""
        if len(kept) > self._bound:
            kept.clear()
        return kept
