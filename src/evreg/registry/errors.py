"""Domain errors of the registry service. ``evreg.registry.api.errors`` maps each class to an
HTTP status and a Confluent error code in one table; nothing here knows about HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class RegistryError(Exception):
    """Base class: ``message`` is what the client reads."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class SubjectNotFound(RegistryError):
    def __init__(self, subject: str) -> None:
        super().__init__(f"Subject '{subject}' not found.")


class VersionNotFound(RegistryError):
    def __init__(self, subject: str, version: int | str) -> None:
        # Confluent's wording, to the letter (Errors.VERSION_NOT_FOUND_MESSAGE_FORMAT)
        super().__init__(f"Version {version} not found.")
        self.subject = subject


class SchemaNotFound(RegistryError):
    def __init__(self, message: str = "Schema not found") -> None:
        super().__init__(message)


class SubjectSoftDeleted(RegistryError):
    def __init__(self, subject: str) -> None:
        super().__init__(
            f"Subject '{subject}' was soft deleted. Set permanent=true to delete permanently"
        )


class SubjectNotSoftDeleted(RegistryError):
    def __init__(self, subject: str) -> None:
        super().__init__(
            f"Subject '{subject}' was not deleted first before being permanently deleted"
        )


class VersionSoftDeleted(RegistryError):
    def __init__(self, subject: str, version: int) -> None:
        super().__init__(
            f"Subject '{subject}' Version {version} was soft deleted. "
            "Set permanent=true to delete permanently"
        )


class VersionNotSoftDeleted(RegistryError):
    def __init__(self, subject: str, version: int) -> None:
        super().__init__(
            f"Subject '{subject}' Version {version} was not deleted first "
            "before being permanently deleted"
        )


class SubjectConfigNotFound(RegistryError):
    def __init__(self, subject: str, what: str = "compatibility") -> None:
        super().__init__(f"Subject '{subject}' does not have subject-level {what} configured")


class SubjectModeNotFound(RegistryError):
    def __init__(self, subject: str) -> None:
        super().__init__(f"Subject '{subject}' does not have subject-level mode configured")


class IncompatibleSchema(RegistryError):
    """The schema breaks the subject's compatibility rules; ``details`` lists why."""

    def __init__(self, subject: str, details: Sequence[str], report: Any = None) -> None:
        self.details = list(details)
        self.report = report
        joined = "; ".join(self.details)
        super().__init__(
            f"Schema being registered is incompatible with an earlier schema for subject "
            f'"{subject}", details: [{joined}]'
        )


class NotImplementedHere(RegistryError):
    """A Confluent feature evreg does not implement (its route answers 404 naming it)."""


class InvalidSchema(RegistryError):
    pass


class InvalidSubject(RegistryError):
    pass


class InvalidVersion(RegistryError):
    def __init__(self, version: object) -> None:
        super().__init__(
            f"The specified version '{version}' is not a valid version id. Allowed values are "
            'between [1, 2^31-1] and the string "latest"'
        )


class InvalidCompatibilityLevel(RegistryError):
    pass


class InvalidMode(RegistryError):
    pass


class OperationNotPermitted(RegistryError):
    pass


class ReferenceExists(RegistryError):
    pass


class IdDoesNotMatch(RegistryError):
    """IMPORT mode: the content is registered already, under another id than the one given."""


class RequestTooLarge(RegistryError):
    pass


class MalformedRequest(RegistryError):
    """The body is not JSON (``status`` 400) or JSON of the wrong shape (422)."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        self.status = status
        super().__init__(message)


class Unauthorized(RegistryError):
    pass


class Forbidden(RegistryError):
    pass


class TokenNotFound(RegistryError):
    pass


class StoreFailure(RegistryError):
    pass


class StoreUnavailable(StoreFailure):
    """The database cannot be reached or dropped the connection (down, restarting): retry."""


# Exception classes (SQLAlchemy's and the drivers', matched by name) meaning "not reachable".
_UNREACHABLE = frozenset({"OperationalError", "InterfaceError", "DisconnectionError"})


def store_failure(exc: BaseException) -> StoreFailure:
    """The error for a failed database call: ``StoreUnavailable`` when the database could not
    be reached or dropped the connection, else ``StoreFailure``."""
    unreachable = any(cls.__name__ in _UNREACHABLE for cls in type(exc).__mro__)
    cls = StoreUnavailable if unreachable else StoreFailure
    return cls(f"Error in the backend data store: {exc.__class__.__name__}")
