"""Exceptions: one class per API error code, all carrying ``code``, ``message`` and ``status``."""

from __future__ import annotations

import email.utils
import time
from typing import Any, Dict, Mapping, Optional, Type


class ProdVisualError(Exception):
    """Base class of every error this package raises.

    For an error answered by the API, ``code``, ``message`` and ``status`` are the fields of its
    ``{"error": {"code", "message", "status"}}`` envelope; ``headers`` are the response headers
    (lower-case names) and ``body`` the decoded envelope.
    """

    code: str
    message: str
    status: Optional[int]

    def __init__(
        self,
        message: str,
        *,
        code: str = "error",
        status: Optional[int] = None,
        headers: Optional[Mapping[str, str]] = None,
        body: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.headers: Dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}
        self.body = body

    def __str__(self) -> str:
        if self.status is not None:
            return f"{self.code} ({self.status}): {self.message}"
        return f"{self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, message={self.message!r})"


class APIError(ProdVisualError):
    """An error answered by the API (an HTTP status of 400 or more)."""

    status: int


class InvalidRequestError(APIError):
    """400 ``invalid_request``: a parameter is missing or invalid (the message names it)."""


class AuthenticationError(APIError):
    """401 ``unauthorized``: the API key is missing, malformed, unknown or revoked."""


class PermissionDeniedError(AuthenticationError):
    """403: a valid key that may not do this (a test key managing keys). Its code is
    ``unauthorized``, so handlers of AuthenticationError catch it too."""


class InsufficientCreditsError(APIError):
    """402 ``insufficient_credits``: the balance cannot cover the request; nothing was charged."""


class NotFoundError(APIError):
    """404 ``not_found``: no such generation or batch (or not this key's account)."""


class ConflictError(APIError):
    """409 ``conflict``: a request with the same Idempotency-Key is still being processed."""


class FileTooLargeError(APIError):
    """413 ``file_too_large``: the source image exceeds 10 MB."""


class InvalidImageError(APIError):
    """422 ``invalid_image``: the source is not a JPEG, PNG or WebP image, or has too many pixels."""


class RateLimitError(APIError):
    """429 ``rate_limited``: too many requests in the current window.

    ``retry_after`` is the number of seconds the server asked to wait (``Retry-After``);
    ``limit``, ``remaining`` and ``reset`` are the ``X-RateLimit-*`` headers.
    """

    @property
    def retry_after(self) -> Optional[float]:
        return parse_retry_after(self.headers.get("retry-after"))

    @property
    def limit(self) -> Optional[int]:
        return _int_or_none(self.headers.get("x-ratelimit-limit"))

    @property
    def remaining(self) -> Optional[int]:
        return _int_or_none(self.headers.get("x-ratelimit-remaining"))

    @property
    def reset(self) -> Optional[int]:
        return _int_or_none(self.headers.get("x-ratelimit-reset"))


class ServerError(APIError):
    """500 ``server_error`` (or any other 5xx): the server failed; the request may be retried."""


class APIConnectionError(ProdVisualError):
    """The API could not be reached, or did not answer in time, after every retry."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="connection_error", status=None)


class WaitTimeoutError(ProdVisualError):
    """``wait_for_completion`` gave up before the generation or batch finished.

    ``last`` is the last status object read (a Generation or a Batch), if any.
    """

    def __init__(self, message: str, last: Any = None) -> None:
        super().__init__(message, code="timeout", status=None)
        self.last = last


class WebhookVerificationError(ProdVisualError):
    """A webhook's signature or timestamp did not verify (raised by ``parse_webhook``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="invalid_signature", status=None)


ERRORS_BY_CODE: Dict[str, Type[APIError]] = {
    "invalid_request": InvalidRequestError,
    "unauthorized": AuthenticationError,
    "insufficient_credits": InsufficientCreditsError,
    "not_found": NotFoundError,
    "conflict": ConflictError,
    "file_too_large": FileTooLargeError,
    "invalid_image": InvalidImageError,
    "rate_limited": RateLimitError,
    "server_error": ServerError,
}

_ERRORS_BY_STATUS: Dict[int, Type[APIError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    402: InsufficientCreditsError,
    404: NotFoundError,
    409: ConflictError,
    413: FileTooLargeError,
    422: InvalidImageError,
    429: RateLimitError,
}


def error_from_response(status: int, headers: Mapping[str, str], payload: Any) -> APIError:
    """The exception for an error response: by its envelope's code, else by its HTTP status."""
    envelope = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(envelope, dict):
        code = str(envelope.get("code") or "")
        message = str(envelope.get("message") or "")
    else:
        code, message = "", ""
    cls = ERRORS_BY_CODE.get(code) or _ERRORS_BY_STATUS.get(status) or (ServerError if status >= 500 else APIError)
    if status == 403 and issubclass(PermissionDeniedError, cls):
        cls = PermissionDeniedError
    if not code:
        code = next((c for c, k in ERRORS_BY_CODE.items() if k is cls), "error")
    if not message:
        message = f"HTTP {status}"
    return cls(message, code=code, status=status, headers=headers, body=payload if isinstance(payload, dict) else None)


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    """``Retry-After`` as seconds to wait: delta-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _int_or_none(value: Optional[str]) -> Optional[int]:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
