"""Domain errors. Every refused move raises one of these with a machine-readable code,
so browser views, API views, admin actions and commands can all report it plainly."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the operation. `code` is stable for clients."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field

    def __str__(self) -> str:
        return self.message


class NotPermitted(DomainError):
    """The actor lacks the role (or the organisation) the operation needs."""

    code = "not_permitted"


class NotFound(DomainError):
    """Missing, or belonging to another organisation: the two are indistinguishable."""

    code = "not_found"


class InvalidTransition(DomainError):
    """The object's lifecycle does not allow this move from its current state."""

    code = "invalid_transition"


class RuleViolation(DomainError):
    """The input breaks a business rule (deadline passed, shares over 100%, ...)."""

    code = "rule_violation"
