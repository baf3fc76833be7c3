"""``evreg push PATHS``: register contracts, or show the findings that block them."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.text import Text

from evreg.cli import render
from evreg.cli.client import Incompatible, RegistryClient, RegistryRefused, incompatible_subject
from evreg.cli.files import ContractFile, LoadedContract, expand, load, subject_for
from evreg.cli.options import (
    ApplicationOption,
    ListFormat,
    ListFormatOption,
    PayloadStrategyOption,
    RegistryOption,
    StrategyOption,
    client,
    settings,
)
from evreg.cli.sources import InputError
from evreg.contracts import ContractError, Report

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2


@dataclass(slots=True)
class PushResult:
    file: ContractFile
    outcome: str  # registered | unchanged | compatible (dry run) | incompatible | error
    subject: str | None = None
    version: int | None = None
    id: int | None = None
    payloads: list[dict[str, Any]] = field(default_factory=list)
    report: Report | None = None
    refused_subject: str | None = None  # when a payload subject, not the contract, was refused
    error: str | None = None
    # consumer-aware findings (AsyncAPI): the applications this version breaks, and the mode
    consumers: tuple[dict[str, Any], ...] = ()
    consumer_mode: str = "warn"
    by_consumers: bool = False  # refused because it breaks a peer (consumerChecks block)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file.display, "outcome": self.outcome}
        for key in ("subject", "version", "id", "refused_subject", "error"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.payloads:
            out["payload_subjects"] = self.payloads
        if self.report is not None:
            out.update(self.report.to_dict())
        if self.consumers:
            out["consumers"] = {"mode": self.consumer_mode, "findings": list(self.consumers)}
        return out

    @property
    def breaks(self) -> list[str]:
        """The applications this push breaks (consumers, or producers for a consumer)."""
        names: list[str] = []
        for item in self.consumers:
            peer = item.get("consumer") if item.get("side") != "consumer" else item.get("producer")
            if isinstance(peer, str) and peer not in names:
                names.append(peer)
        return names


def _consumers(
    loaded: LoadedContract, subject: str, registry: RegistryClient, application: str | None
) -> tuple[tuple[dict[str, Any], ...], str]:
    """The registry's consumer-aware findings for this contract, and its consumerChecks mode
    (``warn`` also stands for ``off``: the registry then still reports, and does not block)."""
    if not loaded.contract.is_asyncapi:
        return (), "warn"
    try:
        peers = registry.consumer_check(
            subject, loaded.schema, loaded.schema_type, application=application
        )
    except RegistryRefused as exc:
        if exc.status != 404:  # a registry without the flow routes: nothing to say
            raise
        return (), "warn"
    return tuple(peers.get("findings") or ()), str(peers.get("mode") or "warn")


def _push_one(
    loaded: LoadedContract,
    subject: str,
    registry: RegistryClient,
    dry_run: bool,
    application: str | None = None,
    payload_strategy: str | None = None,
) -> PushResult:
    file = loaded.file
    existing = registry.lookup(subject, loaded.schema, loaded.schema_type)
    if existing is not None:
        return PushResult(file, "unchanged", subject, existing.version, existing.id)
    consumers, mode = _consumers(loaded, subject, registry, application)
    result = _register(loaded, subject, registry, dry_run, application, payload_strategy)
    result.consumers, result.consumer_mode = consumers, mode
    if consumers and mode == "block" and result.outcome == "compatible":
        result.outcome, result.by_consumers = "incompatible", True  # what a push would be told
    return result


def _register(
    loaded: LoadedContract,
    subject: str,
    registry: RegistryClient,
    dry_run: bool,
    application: str | None,
    payload_strategy: str | None,
) -> PushResult:
    file = loaded.file
    if dry_run:
        # what a push would do: the subject first, then each payload subject in turn
        checked = registry.check(
            subject, loaded.schema, loaded.schema_type, payload_strategy=payload_strategy
        )
        if not checked.report.is_compatible:
            return PushResult(file, "incompatible", subject, report=checked.report)
        if checked.refusing:
            first = checked.refusing[0]
            return PushResult(
                file, "incompatible", subject, report=first.report, refused_subject=first.subject
            )
        return PushResult(file, "compatible", subject, report=checked.report)
    try:
        registry.register(
            subject,
            loaded.schema,
            loaded.schema_type,
            application=application,
            payload_strategy=payload_strategy,
        )
    except Incompatible as refused:
        # evreg's check route gives every finding with its witness and, for a payload subject,
        # with paths into the contract; the 409 only the breaking ones, as text
        named = incompatible_subject(refused.message) or subject
        checked = registry.check(
            subject, loaded.schema, loaded.schema_type, payload_strategy=payload_strategy
        )
        if named == subject:
            if checked.report.is_compatible:  # refused by consumerChecks block, not the rules
                return PushResult(
                    file, "incompatible", subject, report=refused.report, by_consumers=True
                )
            return PushResult(file, "incompatible", subject, report=checked.report)
        payload = next((p for p in checked.refusing if p.subject == named), None)
        report = payload.report if payload is not None else refused.report
        return PushResult(file, "incompatible", subject, report=report, refused_subject=named)
    registered = registry.lookup(subject, loaded.schema, loaded.schema_type)
    if registered is None:  # deleted in between: say what we know
        return PushResult(file, "registered", subject)
    result = PushResult(file, "registered", subject, registered.version, registered.id)
    if not loaded.contract.is_asyncapi:
        return result
    # the payload subjects as the registry derived them (its strategy, or the one sent)
    derived = registry.check(
        subject, loaded.schema, loaded.schema_type, payload_strategy=payload_strategy
    ).payloads
    for payload_subject in sorted(p.subject for p in derived):
        try:
            latest = registry.version(payload_subject)
        except RegistryRefused:
            continue  # the registry does not derive payload subjects (EVREG_PAYLOAD_SUBJECTS)
        result.payloads.append(
            {"subject": payload_subject, "version": latest.version, "id": latest.id}
        )
    return result


def _print(result: PushResult, console: Console) -> None:
    name = result.file.display
    if result.outcome == "error":
        line = Text("ERROR       ", style="bold red")
        line.append(result.error or "")
        console.print(line)
        return
    if result.outcome in ("registered", "unchanged", "compatible"):
        style = "bold green" if result.outcome != "unchanged" else "dim"
        line = Text(f"{result.outcome.upper():<12}", style=style)
        line.append(f"{name}  subject {result.subject}")
        if result.version is not None:
            line.append(f"  version {result.version}  id {result.id}")
        if result.outcome == "compatible":
            line.append("  (dry run: not registered)")
        console.print(line)
        for payload in result.payloads:
            console.print(
                Text(
                    f"              payload subject {payload['subject']}  "
                    f"version {payload['version']}  id {payload['id']}",
                    style="dim",
                )
            )
        if result.consumers:
            _print_consumers(result, console)
        return
    line = Text("REFUSED     ", style="bold red")
    line.append(f"{name}  subject {result.subject}")
    if result.refused_subject:
        line.append(f": its payload subject {result.refused_subject} is incompatible")
    if result.by_consumers and result.consumers:
        line.append(f": it breaks {', '.join(result.breaks)} (consumerChecks block)")
        console.print(line)
        render.consumer_findings_text(result.consumers, mode="block", console=console)
        return
    console.print(line)
    if result.report is not None:
        against = f"subject {result.refused_subject or result.subject}"
        render.report_text(result.report, old=against, new=name, console=console)


def _print_consumers(result: PushResult, console: Console) -> None:
    done = "registered" if result.outcome == "registered" else "would be registered"
    line = Text("WARNING     ", style="bold yellow")
    line.append(
        f"{done}, but {', '.join(result.breaks)} cannot read it (consumerChecks "
        f"{result.consumer_mode}): each finding below has an event this version allows and the "
        "other application rejects"
    )
    console.print(line)
    render.consumer_findings_text(result.consumers, mode="warn", console=console)


def _warn(result: PushResult) -> None:
    """One line on stderr per push that breaks another application, whatever the format."""
    what = f"subject {result.subject}"
    if result.version is not None:
        what += f" version {result.version}"
    done = "registered" if result.outcome == "registered" else "would register"
    count = len(result.consumers)
    print(
        f"warning: {result.file.display}: {done} {what}, which {', '.join(result.breaks)} "
        f"cannot read ({count} finding{'s' if count != 1 else ''}; see docs/flow.md, "
        "`evreg can-i-deploy`)",
        file=sys.stderr,
    )


def push(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Contract files or folders (default: `contracts` in evreg.toml, else "
            "./contracts).",
            show_default=False,
        ),
    ] = None,
    registry: RegistryOption = None,
    subject_strategy: StrategyOption = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Check each file against the registry; register nothing."),
    ] = False,
    output_format: ListFormatOption = ListFormat.text,
    application: ApplicationOption = None,
    payload_subject_strategy: PayloadStrategyOption = None,
) -> None:
    """Register contracts with the registry: one subject per file.

    The subject is the file's `x-evreg-subject`, else its name before the first dot
    (contracts/order_placed.yaml -> order_placed; see --subject-strategy). Registering an
    AsyncAPI contract also registers the payload of each message it sends as a JSON subject,
    `<topic>-value` by default, the topic being the channel address made a valid Kafka topic
    name (docs/asyncapi.md; see --payload-subject-strategy). A change the subject's
    compatibility rules refuse is not registered: the findings that block it are printed,
    each with its witness.

    A contract that other applications on its channels cannot read (consumer-aware checks,
    docs/flow.md) is registered with a WARNING naming them, each finding with its witness, and
    a `warning:` line on stderr; it exits 0. When the subject's consumerChecks mode is
    `block`, the registry refuses it instead: REFUSED, exit 1.

    Exit codes: 0 all registered (or unchanged; also with consumer warnings), 1 some refused
    as incompatible, 2 invalid input, 3 registry unreachable.

    Example:

        evreg push contracts/order_placed.yaml

    Example (a whole folder, checking only):

        evreg push contracts/ --dry-run
    """
    current = settings(
        registry=registry,
        subject_strategy=subject_strategy,
        payload_subject_strategy=payload_subject_strategy,
    )
    strategy = current.payload_subject_strategy
    payload_strategy = strategy.value if strategy is not None else None
    targets = list(paths) if paths else [current.contracts]
    files = expand(targets)
    if not files:
        raise InputError(
            f"no contract files (*.yaml, *.yml, *.json) in {', '.join(map(str, targets))}"
        )
    console = Console(soft_wrap=True, highlight=False)
    progress_console = Console(stderr=True)
    show_progress = len(files) > 1 and progress_console.is_terminal
    results: list[PushResult] = []
    with (
        client(current) as registry_client,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=progress_console,
            transient=True,
            disable=not show_progress,
        ) as progress,
    ):
        task = progress.add_task("pushing", total=len(files))
        for file in files:
            progress.update(task, description=f"pushing {file.display}")
            try:
                loaded = load(file)
                subject = subject_for(loaded, current.subject_strategy)
                result = _push_one(
                    loaded, subject, registry_client, dry_run, application, payload_strategy
                )
            except ContractError as exc:
                result = PushResult(file, "error", error="\n".join(exc.lines()))
            except InputError as exc:
                result = PushResult(file, "error", error=str(exc))
            except RegistryRefused as exc:
                result = PushResult(file, "error", error=f"{file.display}: {exc.message}")
            results.append(result)
            if output_format is ListFormat.text:
                _print(result, console)
            progress.advance(task)

    if output_format is ListFormat.json:
        sys.stdout.write(render.pretty_json([r.to_dict() for r in results]) + "\n")
    elif len(results) > 1:
        counts: dict[str, int] = {}
        for r in results:
            counts[r.outcome] = counts.get(r.outcome, 0) + 1
        tally = ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
        console.print(Text(f"evreg push to {current.registry}: {len(results)} files: {tally}"))
    for r in results:
        if r.consumers and r.outcome in ("registered", "compatible"):
            _warn(r)
    if any(r.outcome == "error" for r in results):
        raise typer.Exit(EXIT_INPUT)
    if any(r.outcome == "incompatible" for r in results):
        raise typer.Exit(EXIT_FINDINGS)
    raise typer.Exit(EXIT_OK)
