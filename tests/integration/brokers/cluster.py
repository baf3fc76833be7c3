"""Three consumer services over a real broker, one of them killed and restarted while 1,000
events are published, and what each group handled and dead-lettered.

The services are child processes (``worker.py``) built on a package generated from
``tests/fixtures/runtime/parcels.asyncapi.yaml`` with this run's own addresses: members ``A``
and ``B`` in group ``g1``, ``C`` in group ``g2``, each handling both channels (``scanned``,
with a ``{hub}`` parameter, and ``delivered``). ``A`` is killed with SIGKILL after event 300
and started again (same member name, so the same MQTT client id) after event 600.

Parcel ``mode``: every 50th (from 7) is ``poison`` (its handler always raises: dead-lettered
after the last attempt), every 25th (from 3) otherwise ``flaky`` (its first attempt raises).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import evreg
from evreg.codegen import SourceContract, plan_python, write_package

from .worker import connect

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "runtime" / "parcels.asyncapi.yaml"
WORKER = Path(__file__).resolve().with_name("worker.py")

EVENTS = 1000
KILL_AT = 300
RESTART_AT = 600
READY_TIMEOUT = 60.0
# seconds each handler takes: the member that is killed is slow, so that it dies holding
# messages it was given (prefetched, fetched, in its socket) but did not acknowledge
HANDLER_DELAY = {"A": 0.02, "B": 0.002, "C": 0.002}


def mode(i: int) -> str:
    if i % 50 == 7:
        return "poison"
    return "flaky" if i % 25 == 3 else "ok"


@dataclass
class DeadLetterRecord:
    body: bytes
    headers: dict[str, str]


@dataclass
class Broker:
    """How one broker is set up, read and cleaned for a run."""

    name: str  # nats, jetstream, amqp, mqtt, kafka
    options: dict[str, Any]  # NatsTransport.connect(...) etc., JSON-able
    separator: str = "."
    redelivers: bool = True  # can a failing handler be redelivered?
    # seconds without progress after which the run is over: only spent when an event is still
    # missing, and long enough to ride out a stall of a loaded machine
    quiet: float = 15.0
    # (uid, channel addresses as written, with {hub}) -> None, before the services start
    setup: Callable[[str, list[str]], Awaitable[None]] | None = None
    # (groups) -> dead letters read from the broker so far (each returned once)
    read_dead_letters: Callable[[list[str]], Awaitable[list[DeadLetterRecord]]] | None = None
    teardown: Callable[[], Awaitable[None]] | None = None


@dataclass
class Sent:
    index: int
    parcel_id: str
    channel: str
    subject: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Outcome:
    sent: dict[str, Sent]
    groups: dict[str, list[str]]  # group -> members
    handled: dict[str, Counter[str]] = field(default_factory=dict)  # group -> parcel -> times
    handled_by: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    failed: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    # group -> events that never failed yet were handled on a later attempt (redelivered
    # because the member holding them died)
    redelivered: dict[str, set[str]] = field(default_factory=dict)
    dead: dict[str, list[DeadLetterRecord]] = field(default_factory=dict)
    killed_after: int = KILL_AT
    seconds: float = 0.0

    def ids(self, *modes: str) -> set[str]:
        return {p for p, s in self.sent.items() if mode(s.index) in modes}

    def lost(self, group: str) -> set[str]:
        dead = {json.loads(d.body)["parcelId"] for d in self.dead[group]}
        return set(self.sent) - set(self.handled[group]) - dead

    def duplicates(self, group: str) -> int:
        return sum(n - 1 for n in self.handled[group].values())

    def report(self) -> str:
        parts = []
        for group in self.groups:
            dead_ids = Counter(json.loads(d.body)["parcelId"] for d in self.dead[group])
            members = Counter(m for ms in self.handled_by[group].values() for m in ms)
            parts.append(
                f"{group}: handled {len(self.handled[group])} distinct, "
                f"duplicates {self.duplicates(group)}, dead letters {len(self.dead[group])} "
                f"({sum(n - 1 for n in dead_ids.values())} duplicate), "
                f"lost {len(self.lost(group))}, redelivered after the kill "
                f"{len(self.redelivered[group])}, by member {dict(sorted(members.items()))}"
            )
        return f"{EVENTS} events in {self.seconds:.1f} s; " + "; ".join(parts)


def generate(tmp_path: Path, addresses: tuple[str, str]) -> ModuleType:
    text = FIXTURE.read_text().replace("SCANNED", addresses[0])
    text = text.replace("DELIVERED", addresses[1])
    contract = evreg.load_contract(text, name="parcels.asyncapi.yaml")
    package = f"parcels_{uuid.uuid4().hex[:10]}"
    write_package(
        plan_python([SourceContract(contract, "parcels", "parcels")], package=package), tmp_path
    )
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module(package)
    finally:
        sys.path.remove(str(tmp_path))


class Services:
    """The worker processes of one run; ``stop_all`` ends exactly the ones started here."""

    def __init__(self, tmp_path: Path, package: str, broker: Broker, out: Path) -> None:
        self.tmp_path = tmp_path
        self.package = package
        self.broker = broker
        self.out = out
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.starts: Counter[str] = Counter()

    def start(self, member: str, group: str) -> None:
        config = {
            "package_dir": str(self.tmp_path),
            "package": self.package,
            "broker": self.broker.name,
            "options": self.broker.options,
            "group": group,
            "member": member,
            "delay": HANDLER_DELAY[member],
            "out": str(self.out),
        }
        with (self.tmp_path / f"{member}.log").open("ab") as log:
            self.processes[member] = subprocess.Popen(
                [sys.executable, str(WORKER), json.dumps(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.starts[member] += 1

    def kill(self, member: str) -> None:
        process = self.processes.pop(member)
        process.send_signal(signal.SIGKILL)
        process.wait()

    async def wait_ready(self, member: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while self.out.read_text().count(f"ready {member}\n") < self.starts[member]:
            process = self.processes[member]
            if process.poll() is not None or time.monotonic() > deadline:
                log = (self.tmp_path / f"{member}.log").read_text()[-3000:]
                raise AssertionError(f"service {member} did not start:\n{log}")
            await asyncio.sleep(0.05)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()


def read_log(out: Path, groups: dict[str, list[str]], outcome: Outcome) -> None:
    member_group = {m: g for g, ms in groups.items() for m in ms}
    handled: dict[str, Counter[str]] = {g: Counter() for g in groups}
    by: dict[str, dict[str, set[str]]] = {g: defaultdict(set) for g in groups}
    failed: dict[str, list[tuple[str, str, int]]] = {g: [] for g in groups}
    later: dict[str, set[str]] = {g: set() for g in groups}
    for line in out.read_text().splitlines():
        kind, *rest = line.split()
        if kind in ("handled", "failed"):
            _channel, parcel, member, attempt = rest
            group = member_group[member]
            if kind == "handled":
                handled[group][parcel] += 1
                by[group][parcel].add(member)
                if int(attempt) > 1:
                    later[group].add(parcel)
            else:
                failed[group].append((parcel, member, int(attempt)))
    outcome.handled, outcome.handled_by, outcome.failed = handled, by, failed
    outcome.redelivered = {
        g: {p for p in later[g] if p not in {f[0] for f in failed[g]}} for g in groups
    }


async def run(broker: Broker, tmp_path: Path) -> Outcome:
    uid = uuid.uuid4().hex[:10]
    sep = broker.separator
    addresses = (
        sep.join(("parcels", uid, "scanned", "{hub}")),
        sep.join(("parcels", uid, "delivered")),
    )
    package = generate(tmp_path, addresses)
    groups = {f"g1-{uid}": ["A", "B"], f"g2-{uid}": ["C"]}
    out = tmp_path / "events.log"
    out.touch()
    if broker.setup is not None:
        await broker.setup(uid, list(addresses))
    services = Services(tmp_path, package.__name__, broker, out)
    outcome = Outcome({}, groups, dead={g: [] for g in groups})
    transport = await connect(broker.name, broker.options)
    try:
        for group, members in groups.items():
            for member in members:
                services.start(member, group)
        for members in groups.values():
            for member in members:
                await services.wait_ready(member)
        producer = package.Producer(transport)
        started = time.monotonic()
        for i in range(EVENTS):
            parcel = package.models.Parcel(parcel_id=f"p{i:04d}", seq=i, mode=mode(i))
            if i % 2 == 0:
                published = await producer.parcel_scanned(parcel, hub=f"h{i % 3}")
            else:
                published = await producer.parcel_delivered(parcel)
            channel = "scanned" if i % 2 == 0 else "delivered"
            outcome.sent[parcel.parcel_id] = Sent(
                i,
                parcel.parcel_id,
                channel,
                published.subject,
                published.body,
                dict(published.headers),
            )
            if i == KILL_AT:
                services.kill("A")
            elif i == RESTART_AT:
                services.start("A", f"g1-{uid}")
            if i % 25 == 0:
                await asyncio.sleep(0.01)  # spread the events over time
        await services.wait_ready("A")
        await settle(broker, out, outcome)
        outcome.seconds = time.monotonic() - started
    finally:
        services.stop_all()
        await transport.close()
        if broker.teardown is not None:
            await broker.teardown()
    return outcome


async def settle(broker: Broker, out: Path, outcome: Outcome) -> None:
    """Read the log and the dead letters until every event is accounted for in every group,
    or nothing moved for ``broker.quiet`` seconds (then the assertions name what is missing)."""
    last, changed = None, time.monotonic()
    while True:
        read_log(out, outcome.groups, outcome)
        if broker.read_dead_letters is not None:
            for letter in await broker.read_dead_letters(list(outcome.groups)):
                group = letter.headers.get("evreg-dead-letter-group", "")
                outcome.dead.setdefault(group, []).append(letter)
        state = (
            os.path.getsize(out),
            tuple(len(v) for v in outcome.dead.values()),
        )
        if all(not outcome.lost(g) for g in outcome.groups):
            return
        if state != last:
            last, changed = state, time.monotonic()
        elif time.monotonic() - changed > broker.quiet:
            return
        await asyncio.sleep(0.2)
