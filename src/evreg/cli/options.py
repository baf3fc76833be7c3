"""Options shared by the commands that talk to a registry or compare contracts."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from evreg.cli.client import RegistryClient
from evreg.cli.compat_cmd import _parse_level, _parse_policy
from evreg.cli.config import PayloadSubjectStrategy, Settings, SubjectStrategy, load_settings
from evreg.contracts import Level, Policy


class ListFormat(StrEnum):
    text = "text"
    json = "json"


RegistryOption = Annotated[
    str | None,
    typer.Option(
        "--registry",
        "-r",
        metavar="URL",
        help="The registry (default: `registry` in evreg.toml, then EVREG_URL, then "
        "http://127.0.0.1:8081). EVREG_TOKEN, when set, is sent as a Bearer token.",
        show_default=False,
    ),
]

ApplicationOption = Annotated[
    str | None,
    typer.Option(
        "--application",
        metavar="NAME",
        help="The application an AsyncAPI contract belongs to on the registry's event-flow map "
        "when the document names none (its `x-evreg-application`, else its `info.title`, "
        "come first); sent as ?application=NAME.",
        show_default=False,
    ),
]

LevelOption = Annotated[
    Level | None,
    typer.Option(
        "--level",
        "-l",
        parser=_parse_level,
        metavar="LEVEL",
        help="BACKWARD, FORWARD, FULL, their *_TRANSITIVE forms, or NONE.",
        show_default=False,
    ),
]

PolicyOption = Annotated[
    Policy | None,
    typer.Option(
        "--policy",
        "-p",
        parser=_parse_policy,
        metavar="POLICY",
        help="STRICT or LENIENT.",
        show_default=False,
    ),
]

StrategyOption = Annotated[
    SubjectStrategy | None,
    typer.Option(
        "--subject-strategy",
        case_sensitive=False,
        help="How a file without `x-evreg-subject` names its subject: `file` (the file name "
        "before its first dot), `file-value` (the same plus -value) or `title` "
        "(default: evreg.toml, then EVREG_SUBJECT_STRATEGY, then file).",
        show_default=False,
    ),
]

PayloadStrategyOption = Annotated[
    PayloadSubjectStrategy | None,
    typer.Option(
        "--payload-subject-strategy",
        case_sensitive=False,
        metavar="STRATEGY",
        help="How the registry names an AsyncAPI contract's payload subjects: topic-name "
        "(TOPIC-value, TOPIC: the channel address as a Kafka topic name), record-name (RECORD: "
        "the payload schema's title, else the message name, else its key) or "
        "topic-record-name (TOPIC-RECORD); sent as "
        "?payloadSubjectStrategy= (default: evreg.toml, then EVREG_PAYLOAD_SUBJECT_STRATEGY, "
        "then the registry's).",
        show_default=False,
    ),
]

ListFormatOption = Annotated[
    ListFormat,
    typer.Option("--format", "-f", case_sensitive=False, help="Output format."),
]


def settings(
    *,
    registry: str | None = None,
    level: Level | None = None,
    policy: Policy | None = None,
    subject_strategy: SubjectStrategy | None = None,
    payload_subject_strategy: PayloadSubjectStrategy | None = None,
) -> Settings:
    """The settings in force: config file, then environment, then these flags."""
    return load_settings().with_flags(
        registry=registry,
        level=level,
        policy=policy,
        subject_strategy=subject_strategy,
        payload_subject_strategy=payload_subject_strategy,
    )


def client(current: Settings) -> RegistryClient:
    return RegistryClient(current.registry, token=current.token)
