"""The one module that talks to the registry (httpx, over its HTTP API: docs/api.md).

Errors become two exceptions the entry point turns into exit codes: :class:`RegistryUnavailable`
(unreachable, timed out, or a 5xx: exit 3, one line naming the URL and the cause) and
:class:`RegistryRefused` (a 4xx other than an incompatible schema: exit 2). A 409 on register
becomes :class:`Incompatible`, carrying the findings parsed from the Confluent message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from evreg import __version__
from evreg.contracts.compat import Direction, Finding, Level, Policy, Report

EXIT_INPUT = 2
EXIT_UNAVAILABLE = 3
MEDIA = "application/vnd.schemaregistry.v1+json"
TIMEOUT = httpx.Timeout(120.0, connect=5.0)


class RegistryUnavailable(Exception):
    """The registry cannot be reached, or failed (5xx); exit code 3."""

    exit_code = EXIT_UNAVAILABLE


class RegistryRefused(Exception):
    """The registry refused the request (4xx); exit code 2."""

    exit_code = EXIT_INPUT

    def __init__(self, status: int, error_code: int | None, message: str) -> None:
        self.status = status
        self.error_code = error_code
        self.message = message
        super().__init__(message)


class Incompatible(Exception):
    """Registering was refused with 409: the schema breaks the subject's rules."""

    def __init__(self, message: str, report: Report) -> None:
        self.message = message
        self.report = report
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Registered:
    subject: str
    version: int
    id: int
    schema_type: str
    schema: str


@dataclass(frozen=True, slots=True)
class PayloadReport:
    """A payload subject the registry derives from an AsyncAPI contract, checked as a push
    would check it (finding paths point into the contract)."""

    subject: str
    channel: str
    registered: bool  # the subject has a version (else the push creates it)
    unchanged: bool  # the payload is a live version already
    report: Report


@dataclass(frozen=True, slots=True)
class Checked:
    """The registry's answer to a check: the contract's own subject, then its payload subjects."""

    report: Report
    payloads: tuple[PayloadReport, ...] = ()

    @property
    def is_compatible(self) -> bool:
        """Whether a push would be accepted: the subject and every payload subject."""
        return self.report.is_compatible and all(p.report.is_compatible for p in self.payloads)

    @property
    def refusing(self) -> list[PayloadReport]:
        return [p for p in self.payloads if not p.report.is_compatible]


def _describe(exc: httpx.HTTPError) -> str:
    cause: BaseException | None = exc
    # the innermost cause says it best ("[Errno 111] Connection refused")
    while cause is not None and cause.__cause__ is not None and str(cause.__cause__):
        cause = cause.__cause__
    text = str(cause) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        text = f"timed out ({text})" if "timed out" not in text.lower() else text
    return " ".join(text.split())


class RegistryClient:
    """A thin client over the registry's routes. Use as a context manager."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        headers = {"Accept": f"{MEDIA}, application/json", "User-Agent": f"evreg/{__version__}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=self.url, headers=headers, timeout=TIMEOUT, transport=transport
        )

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------ plumbing

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str | int] | None = None,
        ok_409: bool = False,
    ) -> httpx.Response:
        content = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": MEDIA} if content is not None else None
        try:
            response = self._http.request(
                method, path, content=content, headers=headers, params=params
            )
        except httpx.HTTPError as exc:
            raise RegistryUnavailable(
                f"registry {self.url} unreachable: {_describe(exc)}"
            ) from None
        if response.status_code >= 500:
            raise RegistryUnavailable(
                f"registry {self.url} failed on {method} {path}: HTTP {response.status_code}"
                f" {_error_message(response)}"
            )
        if response.status_code >= 400 and not (ok_409 and response.status_code == 409):
            code, message = _error_body(response)
            hint = ""
            if response.status_code == 401:
                hint = " (set EVREG_TOKEN to a token of the right role)"
            elif response.status_code == 403:
                hint = " (EVREG_TOKEN's role does not allow this)"
            raise RegistryRefused(
                response.status_code, code, f"registry {self.url}: {message}{hint}"
            )
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise RegistryUnavailable(
                f"registry {self.url} answered {method} {path} with something that is not JSON"
                f" (HTTP {response.status_code}): is this an evreg registry?"
            ) from None

    # ------------------------------------------------------------ routes

    def subjects(self, *, prefix: str | None = None, deleted: bool = False) -> list[str]:
        params: dict[str, str | int] = {"deleted": str(deleted).lower()}
        if prefix:
            params["subjectPrefix"] = prefix
        return list(self._json("GET", "/subjects", params=params))

    def versions(self, subject: str) -> list[int]:
        return [int(v) for v in self._json("GET", f"/subjects/{_seg(subject)}/versions")]

    def version(self, subject: str, version: int | str = "latest") -> Registered:
        data = self._json("GET", f"/subjects/{_seg(subject)}/versions/{version}")
        return _registered(data, subject)

    def lookup(self, subject: str, schema: str, schema_type: str) -> Registered | None:
        """The version of ``subject`` holding this schema, or None."""
        try:
            data = self._json(
                "POST",
                f"/subjects/{_seg(subject)}",
                body={"schema": schema, "schemaType": schema_type},
            )
        except RegistryRefused as exc:
            if exc.error_code in (40401, 40403):
                return None
            raise
        return _registered(data, subject)

    def register(
        self,
        subject: str,
        schema: str,
        schema_type: str,
        *,
        application: str | None = None,
        payload_strategy: str | None = None,
    ) -> int:
        """Register a schema; its id. Raises :class:`Incompatible` on 409. ``application``
        names an AsyncAPI contract's application when the document does not;
        ``payload_strategy`` how its payload subjects are named (None: the registry's)."""
        params = dict(_application(application) or {})
        if payload_strategy is not None:
            params["payloadSubjectStrategy"] = payload_strategy
        response = self._request(
            "POST",
            f"/subjects/{_seg(subject)}/versions",
            body={"schema": schema, "schemaType": schema_type},
            params=params or None,
            ok_409=True,
        )
        if response.status_code == 409:
            _, message = _error_body(response)
            raise Incompatible(message, parse_incompatible(message))
        return int(response.json()["id"])

    def check(
        self,
        subject: str,
        schema: str,
        schema_type: str,
        *,
        level: Level | None = None,
        policy: Policy | None = None,
        payload_strategy: str | None = None,
    ) -> Checked:
        """evreg's structured check: every finding against the subject's live versions, and,
        for an AsyncAPI contract, against those of each payload subject a push registers
        (named by ``payload_strategy``, None: the registry's default)."""
        params: dict[str, str | int] = {}
        if payload_strategy is not None:
            params["payloadSubjectStrategy"] = payload_strategy
        if level is not None:
            params["level"] = level.value
        if policy is not None:
            params["policy"] = policy.value
        data = self._json(
            "POST",
            f"/api/subjects/{_seg(subject)}/check",
            body={"schema": schema, "schemaType": schema_type},
            params=params,
        )
        payloads = tuple(
            PayloadReport(
                subject=str(item["subject"]),
                channel=str(item.get("channel", "")),
                registered=bool(item.get("registered", True)),
                unchanged=bool(item.get("unchanged", False)),
                report=report_from_dict(item),
            )
            for item in data.get("payload_subjects") or ()
        )
        return Checked(report_from_dict(data), payloads)

    def consumer_check(
        self, subject: str, schema: str, schema_type: str, *, application: str | None = None
    ) -> dict[str, Any]:
        """Consumer-aware check: the peers on the contract's channels that could not read it."""
        data = self._json(
            "POST",
            f"/api/subjects/{_seg(subject)}/consumer-check",
            body={"schema": schema, "schemaType": schema_type},
            params=_application(application),
        )
        return dict(data)

    def can_i_deploy(
        self, schema: str, schema_type: str, *, application: str | None = None
    ) -> dict[str, Any]:
        """Whether every producer and consumer this contract talks to can still talk to it."""
        data = self._json(
            "POST",
            "/api/can-i-deploy",
            body={"schema": schema, "schemaType": schema_type},
            params=_application(application),
        )
        return dict(data)

    def diff(
        self,
        subject: str,
        old: int | str,
        new: int | str,
        *,
        level: Level | None = None,
        policy: Policy | None = None,
    ) -> Report:
        params: dict[str, str | int] = {"from": str(old), "to": str(new)}
        if level is not None:
            params["level"] = level.value
        if policy is not None:
            params["policy"] = policy.value
        data = self._json("GET", f"/api/subjects/{_seg(subject)}/diff", params=params)
        return report_from_dict(data)

    def get_config(self, subject: str | None = None) -> dict[str, Any]:
        if subject is None:
            return dict(self._json("GET", "/config"))
        params = {"defaultToGlobal": "true"}
        return dict(self._json("GET", f"/config/{_seg(subject)}", params=params))

    def set_config(
        self, subject: str | None, *, level: Level | None, policy: Policy | None
    ) -> dict[str, Any]:
        body: dict[str, str] = {}
        if level is not None:
            body["compatibility"] = level.value
        if policy is not None:
            body["compatibilityPolicy"] = policy.value
        path = "/config" if subject is None else f"/config/{_seg(subject)}"
        return dict(self._json("PUT", path, body=body))

    def delete_config(self, subject: str | None) -> dict[str, Any]:
        path = "/config" if subject is None else f"/config/{_seg(subject)}"
        return dict(self._json("DELETE", path))

    def asyncapi_view(self, subject: str, version: int | str) -> dict[str, Any]:
        return dict(self._json("GET", f"/api/subjects/{_seg(subject)}/versions/{version}/asyncapi"))

    def create_token(self, *, name: str, role: str) -> dict[str, Any]:
        return dict(self._json("POST", "/api/tokens", body={"name": name, "role": role}))

    def list_tokens(self) -> list[dict[str, Any]]:
        return list(self._json("GET", "/api/tokens"))

    def revoke_token(self, token_id: int) -> dict[str, Any]:
        return dict(self._json("DELETE", f"/api/tokens/{token_id}"))


def _seg(value: str) -> str:
    """One path segment: every reserved character escaped."""
    return quote(value, safe="")


def _registered(data: Any, subject: str) -> Registered:
    return Registered(
        subject=str(data.get("subject", subject)),
        version=int(data["version"]),
        id=int(data["id"]),
        schema_type=str(data.get("schemaType", "AVRO")),
        schema=str(data["schema"]),
    )


def _error_body(response: httpx.Response) -> tuple[int | None, str]:
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        code = data.get("error_code")
        return (code if isinstance(code, int) else None), data["message"]
    text = " ".join(response.text.split())[:200]
    return None, f"HTTP {response.status_code} {text}".strip()


def _error_message(response: httpx.Response) -> str:
    return _error_body(response)[1]


# ---------------------------------------------------------------- reports from JSON


def finding_from_dict(data: Mapping[str, Any]) -> Finding:
    """A :class:`Finding` from its ``to_dict`` form (the registry's /api answers)."""
    has_witness = "witness" in data and "witness_note" not in data
    version = data.get("version")
    return Finding(
        rule=str(data["rule"]),
        path=str(data["path"]),
        message=str(data.get("message", "")),
        breaking=bool(data["breaking"]),
        direction=Direction(str(data.get("direction", "BACKWARD"))),
        witness=data.get("witness") if has_witness else None,
        witness_note=data.get("witness_note"),
        has_witness=has_witness,
        version=int(version) if isinstance(version, int) else None,
        channel=data.get("channel"),
        message_name=data.get("message_name"),
    )


def report_from_dict(data: Mapping[str, Any]) -> Report:
    findings = [finding_from_dict(f) for f in data.get("findings", [])]
    if data.get("is_compatible") is False and not any(f.breaking for f in findings):
        # Refused without a finding: the registered versions are of another schema type.
        findings.append(
            Finding(
                rule="SCHEMA_TYPE_CHANGED",
                path="#",
                message="the registry refuses this schema, not for a change it reports as a "
                "finding: the subject's versions are of another schema type (JSON vs ASYNCAPI)",
                breaking=True,
                witness_note="a change of schema type has no witness",
            )
        )
    return Report(
        level=Level(str(data["level"])),
        policy=Policy(str(data["policy"])),
        findings=tuple(findings),
    )


_DETAIL = re.compile(
    r"^\{errorType:'(?P<rule>[^']*)', description:'(?P<message>.*?)'"
    r"(?:, additionalInfo:'(?P<path>[^']*)')?"
    r"(?:, oldSchemaVersion:(?P<version>\d+))?"
    r"(?:, direction:'(?P<direction>[A-Z]+)')?"
    r"(?:, witness:(?P<witness>.*)|, witnessNote:'(?P<note>.*)')?\}$",
    re.DOTALL,
)
_LEVEL = re.compile(r"^\{compatibility:'(?P<level>[A-Z_]+)', policy:'(?P<policy>[A-Z]+)'\}$")
_SUBJECT = re.compile(r'for subject "(?P<subject>[^"]*)"')


def _split_details(message: str) -> list[str]:
    """The ``{...}`` items of ``details: [{...}; {...}]``, braces balanced, strings respected."""
    start = message.find("details: [")
    if start < 0:
        return []
    text = message[start + len("details: [") :]
    items: list[str] = []
    depth, begin, quote_char = 0, -1, ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote_char:
            if ch == "\\" and quote_char == '"':
                i += 2
                continue
            if ch == quote_char:
                quote_char = ""
        elif ch == '"' and depth >= 2:  # JSON strings inside a witness
            quote_char = ch
        elif ch == "{":
            if depth == 0:
                begin = i
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0 and begin >= 0:
                items.append(text[begin : i + 1])
                begin = -1
        i += 1
    return items


def parse_incompatible(message: str) -> Report:
    """The findings of a Confluent 409 message (docs/api.md), as a report.

    A detail that does not parse is kept as a finding with rule ``INCOMPATIBLE`` and the raw
    text as its message: nothing the registry said is dropped.
    """
    level, policy = Level.BACKWARD, Policy.STRICT
    findings: list[Finding] = []
    for item in _split_details(message):
        flat = _LEVEL.match(item)
        if flat:
            level, policy = Level(flat["level"]), Policy(flat["policy"])
            continue
        match = _DETAIL.match(item)
        if match is None:
            findings.append(Finding(rule="INCOMPATIBLE", path="#", message=item, breaking=True))
            continue
        witness, has_witness = None, False
        if match["witness"] is not None:
            try:
                witness, has_witness = json.loads(match["witness"]), True
            except ValueError:
                witness = None
        findings.append(
            Finding(
                rule=match["rule"],
                path=match["path"] or "#",
                message=match["message"],
                breaking=True,
                direction=Direction(match["direction"] or "BACKWARD"),
                witness=witness,
                has_witness=has_witness,
                witness_note=match["note"],
                version=int(match["version"]) if match["version"] else None,
            )
        )
    if not findings:
        findings.append(Finding(rule="INCOMPATIBLE", path="#", message=message, breaking=True))
    return Report(level=level, policy=policy, findings=tuple(findings))


def incompatible_subject(message: str) -> str | None:
    """The subject a 409 message names (a contract's payload subject may be the one refused)."""
    found = _SUBJECT.search(message)
    return found["subject"] if found else None


def _application(name: str | None) -> dict[str, str | int] | None:
    """``?application=`` when a name is given (evreg's flow map; Confluent ignores it)."""
    return None if name is None else {"application": name}
