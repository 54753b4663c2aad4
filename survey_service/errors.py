"""Domain errors: exception classes that carry their status code (STYLE.md rule 5).

One handler renders any of them as an HTML page or as JSON under ``/api/``.
"""

from __future__ import annotations


class DomainError(Exception):
    """An error a user can understand; ``message`` is shown, never a traceback."""

    status_code = 400
    code = "bad_request"
    title_key = "error.bad_request"

    def __init__(self, message: str | None = None, *, message_en: str | None = None) -> None:
        self.message = message
        self.message_en = message_en or message
        super().__init__(message_en or message or self.code)

    def text(self, lang: str) -> str | None:
        """The message in ``lang`` (English when asked and available)."""
        return self.message_en if lang == "en" else self.message


class NotFound(DomainError):
    status_code = 404
    code = "not_found"
    title_key = "error.not_found"


class Gone(DomainError):
    status_code = 410
    code = "gone"
    title_key = "error.gone"


class NotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"
    title_key = "error.not_authenticated"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"
    title_key = "error.forbidden"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
    title_key = "error.conflict"


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "payload_too_large"
    title_key = "error.payload_too_large"


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid_input"
    title_key = "error.invalid_input"


class TooManyRequests(DomainError):
    """Refused by a rate limit; ``retry_after`` is the wait in seconds (for Retry-After)."""

    status_code = 429
    code = "too_many_requests"
    title_key = "error.too_many_requests"

    def __init__(
        self,
        message: str | None = None,
        *,
        message_en: str | None = None,
        retry_after: int = 60,
    ) -> None:
        super().__init__(message, message_en=message_en)
        self.retry_after = max(1, int(retry_after))
