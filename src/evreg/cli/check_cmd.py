"""``evreg check [PATHS] [--against registry|git:REF|DIR]``: the pull-request gate."""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

import evreg
from evreg.cli import check_cache, render
from evreg.cli.client import PayloadReport, RegistryClient, RegistryRefused
from evreg.cli.config import Settings
from evreg.cli.files import ContractFile, LoadedContract, expand, load, subject_for
from evreg.cli.gitref import GitError, read_at_ref
from evreg.cli.locate import line_of
from evreg.cli.options import (
    ApplicationOption,
    LevelOption,
    PayloadStrategyOption,
    PolicyOption,
    RegistryOption,
    StrategyOption,
    client,
    settings,
)
from evreg.cli.render import OutputFormat
from evreg.cli.sources import (
    InputError,
    SiblingReader,
    folder_reader,
    inside,
    load_source,
    read_source,
)
from evreg.contracts import ContractError, Report

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2


class Status(StrEnum):
    compatible = "compatible"
    incompatible = "incompatible"
    new = "new"
    error = "error"


@dataclass(frozen=True, slots=True)
class FileResult:
    file: ContractFile
    status: Status
    against: str  # what the file was compared with, for people
    subject: str | None = None
    report: Report | None = None
    text: str | None = None  # the file's text, to find lines
    error: str | None = None
    error_line: int | None = None
    # consumer-aware findings from the registry (AsyncAPI contracts), and their mode
    consumers: tuple[dict[str, Any], ...] = ()
    consumer_mode: str = "warn"
    # the payload subjects a push of an AsyncAPI contract registers, as the registry checked them
    payloads: tuple[PayloadReport, ...] = ()

    @property
    def refusing(self) -> list[PayloadReport]:
        """The payload subjects that would refuse this contract."""
        return [p for p in self.payloads if not p.report.is_compatible]

    def news(self, payload: PayloadReport) -> Report:
        """The payload subject's breaking findings the contract's own report does not have
        already (the same change seen from both subjects is reported once)."""
        seen = {
            (f.rule, f.path, f.direction)
            for f in (self.report.findings if self.report is not None else ())
            if f.breaking
        }
        return dataclasses.replace(
            payload.report,
            findings=tuple(
                f
                for f in payload.report.findings
                if f.breaking and (f.rule, f.path, f.direction) not in seen
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file": self.file.display,
            "status": self.status.value,
            "against": self.against,
        }
        if self.subject is not None:
            out["subject"] = self.subject
        if self.report is not None:
            out.update(self.report.to_dict())
            if self.text is not None:
                for finding in out["findings"]:
                    finding["line"] = line_of(self.text, finding["path"])
        if self.payloads:
            out["payload_subjects"] = [self._payload_dict(p) for p in self.payloads]
        if self.consumers:
            out["consumers"] = {"mode": self.consumer_mode, "findings": list(self.consumers)}
        if self.error is not None:
            out["error"] = self.error
            if self.error_line is not None:
                out["line"] = self.error_line
        return out

    def _payload_dict(self, payload: PayloadReport) -> dict[str, Any]:
        out: dict[str, Any] = {
            "subject": payload.subject,
            "channel": payload.channel,
            "registered": payload.registered,
            "unchanged": payload.unchanged,
            **payload.report.to_dict(),
        }
        if self.text is not None:
            for finding in out["findings"]:
                finding["line"] = line_of(self.text, finding["path"])
        return out


def _status(report: Report) -> Status:
    return Status.compatible if report.is_compatible else Status.incompatible


class _Against:
    """Where the earlier version of each file comes from."""

    def __init__(
        self,
        against: str,
        current: Settings,
        level_flag: bool,
        policy_flag: bool,
        application: str | None = None,
    ) -> None:
        self.spec = against
        self.application = application
        self.settings = current
        self.level_flag, self.policy_flag = level_flag, policy_flag
        self.client: RegistryClient | None = None
        self.folder: Path | None = None
        self.ref: str | None = None
        if against == "registry":
            self.client = client(current)
        elif against.startswith("git:"):
            self.ref = against[len("git:") :]
            if not self.ref:
                raise InputError("--against git:REF needs a ref, e.g. git:origin/main")
        else:
            self.folder = Path(against)
            if not self.folder.is_dir():
                raise InputError(
                    f"--against {against}: not `registry`, `git:REF` or an existing folder"
                )

    def close(self) -> None:
        if self.client is not None:
            self.client.close()

    @property
    def label(self) -> str:
        if self.client is not None:
            return f"registry {self.client.url}"
        return self.spec

    def _registered(self, subject: str) -> bool:
        """Whether the subject has a version (a check of an unknown subject finds nothing)."""
        assert self.client is not None
        try:
            return bool(self.client.versions(subject))
        except RegistryRefused as exc:
            if exc.error_code == 40401:
                return False
            raise

    def compare(self, loaded: LoadedContract) -> FileResult:
        file = loaded.file
        subject = subject_for(loaded, self.settings.subject_strategy)
        if self.client is not None:
            checked = self.client.check(
                subject,
                loaded.schema,
                loaded.schema_type,
                level=self.settings.level if self.level_flag else None,
                policy=self.settings.policy if self.policy_flag else None,
                payload_strategy=(
                    strategy.value
                    if (strategy := self.settings.payload_subject_strategy) is not None
                    else None
                ),
            )
            report = checked.report
            against = f"{self.client.url} subject {subject}"
            consumers: tuple[dict[str, Any], ...] = ()
            mode = "warn"
            if loaded.contract.is_asyncapi:
                try:
                    peers = self.client.consumer_check(
                        subject, loaded.schema, loaded.schema_type, application=self.application
                    )
                except RegistryRefused as exc:
                    if exc.status != 404:  # a registry without the flow routes: skip
                        raise
                    peers = {}
                consumers = tuple(peers.get("findings") or ())
                mode = str(peers.get("mode") or "warn")
            status = Status.compatible if checked.is_compatible else Status.incompatible
            if consumers and mode == "block":
                status = Status.incompatible
            if (
                not report.findings
                and not consumers
                and checked.is_compatible
                and not self._registered(subject)
            ):
                return FileResult(file, Status.new, against, subject, None, loaded.text)
            return FileResult(
                file,
                status,
                against,
                subject,
                report,
                loaded.text,
                consumers=consumers,
                consumer_mode=mode,
                payloads=checked.payloads,
            )
        reader: SiblingReader
        if self.ref is not None:
            old_name = f"git:{self.ref}:{file.display}"
            old_text = read_at_ref(file.path, self.ref)
            reader = _git_reader(file.path.parent, self.ref)
        else:
            assert self.folder is not None
            old_path = self.folder / file.rel
            old_name = str(old_path)
            old_text = read_source(old_path) if old_path.is_file() else None
            reader = folder_reader(old_path.parent)
        if old_text is None:
            return FileResult(file, Status.new, old_name, subject, None, loaded.text)
        old = load_source(old_text, old_name, reader)
        report = evreg.check_compatibility(
            old,
            loaded.contract,
            level=self.settings.level,
            policy=self.settings.policy,
            witnesses=True,
        )
        return FileResult(file, _status(report), old_name, subject, report, loaded.text)


def _git_reader(folder: Path, ref: str) -> SiblingReader:
    """Reads a contract's sibling files as they were at ``ref``."""
    root = folder.absolute()
    return lambda relative: read_at_ref(inside(root, relative), ref)


def _check_one(file: ContractFile, against: _Against) -> FileResult:
    try:
        loaded = load(file)
        return against.compare(loaded)
    except GitError:
        raise  # about the comparison, not this file: stop
    except ContractError as exc:
        # a line only when the error is in this file (not in its earlier version)
        line = exc.line if exc.source == file.display else None
        error = "\n".join(exc.lines())
        return FileResult(file, Status.error, against.label, error=error, error_line=line)
    except InputError as exc:
        return FileResult(file, Status.error, against.label, error=str(exc))
    except RegistryRefused as exc:  # e.g. 422: the registry finds the schema invalid
        return FileResult(file, Status.error, against.label, error=f"{file.display}: {exc}")


# ---------------------------------------------------------------- output


def _print_text(results: list[FileResult], console: Console) -> None:
    for i, result in enumerate(results):
        if i:
            console.print()
        if result.status is Status.error:
            line = Text("ERROR", style="bold red")
            line.append(f"  {result.error}")
            console.print(line)
        elif result.status is Status.new:
            line = Text("NEW", style="bold green")
            line.append(
                f"  {result.file.display}: nothing to compare with at {result.against} "
                "(a new contract breaks nobody)"
            )
            console.print(line)
        else:
            assert result.report is not None
            render.report_text(
                result.report, old=result.against, new=result.file.display, console=console
            )
        for payload in result.refusing:
            console.print()
            news = result.news(payload)
            if not news.findings:
                console.print(
                    Text(
                        f"INCOMPATIBLE  payload subject {payload.subject} "
                        f"({news.level.value}, policy {news.policy.value}) refuses it too, "
                        "for the breaking findings above",
                        style="bold red",
                    )
                )
                continue
            render.report_text(
                news,
                old=f"payload subject {payload.subject}",
                new=result.file.display,
                console=console,
            )
        if result.consumers:
            console.print(
                Text(
                    f"  consumer-aware checks (consumerChecks {result.consumer_mode}): "
                    f"{len(result.consumers)} finding(s) against other applications"
                )
            )
            render.consumer_findings_text(
                result.consumers, mode=result.consumer_mode, console=console
            )


def _github_lines(results: list[FileResult]) -> list[str]:
    lines: list[str] = []
    for result in results:
        if result.status is Status.error:
            lines.append(
                render.workflow_command(
                    "error",
                    result.error or "invalid contract",
                    file=result.file.display,
                    line=result.error_line,
                    title="evreg: invalid contract",
                )
            )
        elif result.report is not None and result.text is not None:
            lines.extend(
                render.report_github(result.report, new=result.file.display, new_source=result.text)
            )
            for payload in result.refusing:
                lines.extend(
                    render.report_github(
                        result.news(payload),
                        new=result.file.display,
                        new_source=result.text,
                        context=f"payload subject {payload.subject}",
                    )
                )
        if result.consumers and result.text is not None:
            lines.extend(
                render.consumer_findings_github(
                    result.consumers,
                    mode=result.consumer_mode,
                    file=result.file.display,
                    source=result.text,
                )
            )
    return lines


def _tally(results: list[FileResult]) -> str:
    counts = {s: sum(r.status is s for r in results) for s in Status}
    noun = "file" if len(results) == 1 else "files"
    return (
        f"{len(results)} {noun}: {counts[Status.compatible]} compatible, "
        f"{counts[Status.incompatible]} incompatible, {counts[Status.new]} new, "
        f"{counts[Status.error]} invalid"
    )


def _cell(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("`", "'")


def summary_markdown(results: list[FileResult], against: str) -> str:
    """A job summary: the verdict, then one table row per finding and per invalid file."""
    bad = any(r.status in (Status.incompatible, Status.error) for r in results)
    verdict = "❌ INCOMPATIBLE" if bad else "✅ COMPATIBLE"
    out = [f"### evreg check: {verdict} (against {_cell(against)})", "", _tally(results), ""]
    rows: list[str] = []
    for r in results:
        if r.status is Status.error:
            where = r.file.display + (f":{r.error_line}" if r.error_line else "")
            rows.append(f"| ❌ invalid | `{_cell(where)}` | | | {_cell(r.error or '')} | |")
        findings = list(r.report.findings) if r.report is not None else []
        for payload in r.refusing:
            findings += [
                dataclasses.replace(f, message=f"payload subject {payload.subject}: {f.message}")
                for f in r.news(payload).findings
            ]
        for finding in findings:
            line = line_of(r.text or "", finding.path)
            where = r.file.display + (f":{line}" if line else "")
            witness = ""
            if finding.breaking:
                witness = (
                    f"`{_cell(render.compact_json(finding.witness))}`"
                    if finding.has_witness
                    else _cell(finding.witness_note or "none")
                )
            mark = "❌ breaking" if finding.breaking else "ok"
            rows.append(
                f"| {mark} | `{_cell(where)}` | `{_cell(finding.rule)}` | `{_cell(finding.path)}`"
                f" | {_cell(finding.message)} | {witness} |"
            )
    if rows:
        out += [
            "| | file | rule | path | message | witness |",
            "| --- | --- | --- | --- | --- | --- |",
            *rows,
            "",
        ]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- the command


def check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Contract files or folders (default: `contracts` in evreg.toml, else "
            "./contracts).",
            show_default=False,
        ),
    ] = None,
    against: Annotated[
        str,
        typer.Option(
            "--against",
            "-a",
            metavar="registry|git:REF|DIR",
            help="Compare with the registry (would it accept these files now?), with each "
            "file as it is at a git ref (no registry needed), or with the same-named files "
            "in a folder.",
        ),
    ] = "registry",
    registry: RegistryOption = None,
    level: LevelOption = None,
    policy: PolicyOption = None,
    subject_strategy: StrategyOption = None,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", case_sensitive=False, help="Output format."),
    ] = OutputFormat.text,
    summary: Annotated[
        Path | None,
        typer.Option(
            "--summary",
            metavar="FILE",
            help="Also append a markdown table of the findings to FILE (for a GitHub job "
            'summary: --summary "$GITHUB_STEP_SUMMARY").',
            show_default=False,
        ),
    ] = None,
    application: ApplicationOption = None,
    payload_subject_strategy: PayloadStrategyOption = None,
) -> None:
    """Check contract changes before they merge: would they break a producer or a consumer?

    Against the registry, each file is checked with the subject it would be pushed to, under
    that subject's level and policy (unless --level / --policy are given). Against `git:REF`
    or a folder, each file is compared with its earlier version there under the level and
    policy of evreg.toml (BACKWARD, STRICT by default); a file absent there is new, and passes.

    Every finding comes with its witness: an event one version accepts and the other rejects.

    Exit codes: 0 compatible, 1 incompatible, 2 invalid input (the message names file:line),
    3 registry unreachable.

    Example (the pull-request gate, offline):

        evreg check contracts/ --against git:origin/main --format github

    Example (would the registry accept this now?):

        evreg check contracts/order_placed.yaml --registry http://127.0.0.1:8081
    """
    current = settings(
        registry=registry,
        level=level,
        policy=policy,
        subject_strategy=subject_strategy,
        payload_subject_strategy=payload_subject_strategy,
    )
    targets = list(paths) if paths else [current.contracts]
    if not paths and not current.contracts.exists():
        raise InputError(
            f"no paths given and the contracts folder {current.contracts} does not exist "
            "(pass files or folders, or set `contracts` in evreg.toml)"
        )
    files = expand(targets)
    if not files:
        raise InputError(
            f"no contract files (*.yaml, *.yml, *.json) in {', '.join(map(str, targets))}"
        )
    source = _Against(against, current, level is not None, policy is not None, application)
    if source.client is None and summary is None:  # a verdict worth replaying (check_cache.py)
        check_cache.watch(
            [str(t if t.is_dir() else t.parent) for t in targets]
            + ([str(source.folder)] if source.folder is not None else []),
            [(str(f.path.absolute().parent), source.ref) for f in files if source.ref],
        )
    try:
        results = [_check_one(file, source) for file in files]
    finally:
        source.close()

    if output_format is OutputFormat.json:
        document = {
            "is_compatible": all(r.status in (Status.compatible, Status.new) for r in results),
            "against": source.label,
            "files": [r.to_dict() for r in results],
        }
        sys.stdout.write(render.pretty_json(document) + "\n")
    elif output_format is OutputFormat.github:
        for line in _github_lines(results):
            sys.stdout.write(line + "\n")
        print(f"evreg check against {source.label}: {_tally(results)}", file=sys.stderr)
    else:
        console = Console(soft_wrap=True, highlight=False)
        _print_text(results, console)
        console.print()
        console.print(Text(f"evreg check against {source.label}: {_tally(results)}"))
    if summary is not None:
        try:
            with summary.open("a", encoding="utf-8") as handle:
                handle.write(summary_markdown(results, source.label))
        except OSError as exc:
            raise InputError(f"--summary {summary}: {exc.strerror or exc}") from None

    if any(r.status is Status.error for r in results):
        raise typer.Exit(EXIT_INPUT)
    if any(r.status is Status.incompatible for r in results):
        raise typer.Exit(EXIT_FINDINGS)
    raise typer.Exit(EXIT_OK)
