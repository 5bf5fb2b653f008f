"""Every error the client raises, as one tree::

    SeedanceError
    ├── ValidationError              refused by the client's own checks; nothing was sent
    ├── WebhookVerificationError     a received webhook's signature or timestamp does not check out
    ├── APIConnectionError           no usable HTTP answer (DNS, refused, reset, undecodable body)
    │   └── APITimeoutError          no answer in time
    ├── APIError                     an HTTP error answer: status_code, code, param, type, request_id, body
    │   ├── BadRequestError          400
    │   │   └── ContentPolicyError   400 with a ``…SensitiveContent…`` code (the seed's "503", sent as 400)
    │   ├── AuthenticationError      401
    │   ├── PermissionDeniedError    403
    │   │   └── InsufficientBalanceError   403 about the balance (seed: "or insufficient balance")
    │   ├── NotFoundError            404 (unknown task id, unknown model)
    │   ├── RateLimitError           429, with ``retry_after``
    │   └── InternalServerError      5xx
    └── TaskError                    raised by ``wait``; carries the last task seen
        ├── TaskFailedError
        ├── TaskExpiredError
        ├── TaskCancelledError
        └── WaitTimeout

``error_from_response`` reads all three upstream error shapes (Ark, gateway, predictions envelope) and
picks the class from ``STATUS_ERRORS``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import httpx

    from client._types import Prediction, Task

__all__ = [
    "STATUS_ERRORS",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ContentPolicyError",
    "InsufficientBalanceError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "SeedanceError",
    "TaskCancelledError",
    "TaskError",
    "TaskExpiredError",
    "TaskFailedError",
    "ValidationError",
    "WaitTimeout",
    "WebhookVerificationError",
    "error_from_body",
    "error_from_response",
]


class SeedanceError(Exception):
    """Base of every error this client raises."""


class WebhookVerificationError(SeedanceError, ValueError):
    """A webhook failed verification (``client.webhooks.verify``): missing headers, a bad signature, or a
    timestamp outside the tolerance. Answer such a request 4xx and do not act on it."""


class ValidationError(SeedanceError, ValueError):
    """The client's own checks refused a request before anything was sent."""

    def __init__(self, message: str, *, param: str | None = None, value: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.value = value


class APIConnectionError(SeedanceError):
    """The request got no usable HTTP answer: none at all, or a body that broke off or cannot be decoded."""

    def __init__(self, message: str = "Connection error.", *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request = request


class APITimeoutError(APIConnectionError):
    """The request got no answer in time."""

    def __init__(self, message: str = "Request timed out.", *, request: httpx.Request | None = None) -> None:
        super().__init__(message, request=request)


class APIError(SeedanceError):
    """An HTTP error answer; upstream's ``code``, ``param`` and ``type`` stay reachable.

    They are read from ``body`` (any of the three upstream error shapes), as openai's errors read theirs;
    ``message`` defaults to upstream's message; ``request_id`` is the ``x-request-id`` header, else the
    "Request ID: …" an Ark message ends with.
    """

    status_code: int = 0

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        text: str = "",
    ) -> None:
        fields = _error_fields(body, text)
        self.message = fields.message if message is None else message
        super().__init__(self.message)
        if status_code is not None:
            self.status_code = status_code
        self.code, self.param, self.type = fields.code, fields.param, fields.type
        self.body = body
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}
        found = _REQUEST_ID_IN_MESSAGE.search(self.message)
        self.request_id = self.headers.get("x-request-id") or (found.group(1) if found else None)

    def __str__(self) -> str:
        where = f" (param {self.param})" if self.param else ""
        code = f" {self.code}" if self.code else ""
        return f"{self.status_code}{code}: {self.message}{where}"


class BadRequestError(APIError):
    """400: the API refused the request's content."""

    status_code = 400


class ContentPolicyError(BadRequestError):
    """400 with a ``…SensitiveContentDetected…`` code: the input was refused by moderation."""


class AuthenticationError(APIError):
    """401: the API key is missing or invalid."""

    status_code = 401


class PermissionDeniedError(APIError):
    """403: the key may not do this."""

    status_code = 403


class InsufficientBalanceError(PermissionDeniedError):
    """403 because the account cannot pay for the task."""


class NotFoundError(APIError):
    """404: unknown task id or model."""

    status_code = 404


class RateLimitError(APIError):
    """429: too many requests; ``retry_after`` is the server's hint in seconds, when it gave one."""

    status_code = 429

    def __init__(self, message: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = _parse_retry_after(self.headers)


class InternalServerError(APIError):
    """5xx: the service failed."""

    status_code = 500


class TaskError(SeedanceError):
    """A waited-for task ended badly or not in time; ``task`` is the last state seen."""

    def __init__(self, message: str, task: Task | Prediction | None) -> None:
        super().__init__(message)
        self.message = message
        self.task = task

    @property
    def code(self) -> str | None:
        """The task's error code, when it has one."""
        err = getattr(self.task, "error", None)
        return err.code if err is not None else None


class TaskFailedError(TaskError):
    """The task ended ``failed`` (including output moderation: ``OutputVideoSensitiveContentDetected``)."""


class TaskExpiredError(TaskError):
    """The task ended ``expired``: ``execution_expires_after`` passed before it finished."""


class TaskCancelledError(TaskError):
    """The task ended ``cancelled``."""


class WaitTimeout(TaskError):
    """``wait`` gave up before the task reached a terminal status."""

    def __init__(self, message: str, task: Task | Prediction | None, timeout: float) -> None:
        super().__init__(message, task)
        self.timeout = timeout


#: One table: HTTP status -> error class (any other 5xx is InternalServerError, anything else APIError).
STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}

_REQUEST_ID_IN_MESSAGE = re.compile(r"Request ID:\s*(\S+)")


class _Fields(NamedTuple):
    message: str
    code: str | None
    param: str | None
    type: str | None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _error_fields(body: Any, text: str) -> _Fields:
    """Upstream's message, code, param and type from any of the three error shapes (or a non-JSON body)."""
    if not isinstance(body, dict):
        snippet = text.strip()[:200]
        return _Fields(snippet or "(empty body)", None, None, None)
    err = body.get("error")
    if isinstance(err, dict):
        # Ark {"error": {code, message, param, type}} and gateway {"error": {message, type, code}} [§1, §2];
        # the predictions envelope nests the same object under "error" [§3].
        message = err.get("message") or body.get("message") or ""
        return _Fields(str(message), _text(err.get("code")), _text(err.get("param")), _text(err.get("type")))
    if isinstance(err, str) and err:
        return _Fields(err, None, None, None)
    return _Fields(str(body.get("message") or json.dumps(body)[:200]), None, None, None)


def _is_balance(code: str | None, message: str) -> bool:
    text = f"{code or ''} {message}".lower()
    # Gateway "insufficient_balance" [seed: 403 "insufficient balance"]; Ark "AccountOverdueError" [§2].
    return "balance" in text or "overdue" in text


def _parse_retry_after(headers: Mapping[str, str]) -> float | None:
    from client._retry import parse_retry_after

    return parse_retry_after(headers.get("retry-after"))


def error_from_body(status: int, body: Any, *, text: str = "", headers: Mapping[str, str] | None = None) -> APIError:
    """The typed error for an error answer with ``status`` and a decoded JSON ``body`` (or None)."""
    fields = _error_fields(body, text)
    cls = InternalServerError if status >= 500 else STATUS_ERRORS.get(status, APIError)
    if cls is BadRequestError and fields.code and "SensitiveContent" in fields.code:
        cls = ContentPolicyError
    elif cls is PermissionDeniedError and _is_balance(fields.code, fields.message):
        cls = InsufficientBalanceError
    return cls(status_code=status, body=body, headers=headers, text=text)


def error_from_response(response: httpx.Response) -> APIError:
    """The typed error for an HTTP error ``response`` (its body must already be read)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    return error_from_body(response.status_code, body, text=response.text, headers=dict(response.headers))
