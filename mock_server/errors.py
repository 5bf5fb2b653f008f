"""Upstream errors: handlers raise :class:`ApiError`; :func:`render` shapes it for the family, in one place.

Three shapes, all held by the contracts:

* Ark (family A) ``{"error": {"code", "message", "param", "type"}}`` [FIDELITY §2]
* gateway (auth, balance, request rate, both families) ``{"error": {"message", "type", "code"}}`` [§1]
* predictions (family B) ``{"code": <status>, "message", "data": null, "error": {...}}`` [decision, §3]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Each HTTP status's Ark error `type` [FIDELITY §10], and the Ark `code` a bare status stands for
# (used by fault rules and framework errors).
_BY_STATUS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "InvalidParameter"),
    401: ("Unauthorized", "AuthenticationError"),
    403: ("Forbidden", "AccessDenied"),
    404: ("NotFound", "NotFound"),
    405: ("MethodNotAllowed", "MethodNotAllowed"),
    408: ("RequestTimeout", "RequestTimeout"),
    409: ("Conflict", "Conflict"),
    413: ("RequestEntityTooLarge", "RequestEntityTooLarge"),
    415: ("UnsupportedMediaType", "UnsupportedMediaType"),
    416: ("RangeNotSatisfiable", "RangeNotSatisfiable"),
    429: ("TooManyRequests", "RateLimitExceeded.EndpointRPMExceeded"),
    500: ("InternalServerError", "InternalServiceError"),
    502: ("BadGateway", "BadGateway"),
    503: ("ServiceUnavailable", "ServerOverloaded"),
    504: ("GatewayTimeout", "GatewayTimeout"),
}
ARK_TYPES = {status: names[0] for status, names in _BY_STATUS.items()}
DEFAULT_CODES = {status: names[1] for status, names in _BY_STATUS.items()}

# Gateway `type` / `code` [FIDELITY §1].
GATEWAY_TYPES = {
    401: "invalid_request_error",
    403: "permission_error",
    429: "rate_limit_error",
}


@dataclass
class ApiError(Exception):
    """An upstream error answer. ``gateway=True`` renders the gateway shape in either family."""

    status: int
    code: str
    message: str
    param: str | None = None
    gateway: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @classmethod
    def for_status(cls, status: int, message: str | None = None, **kw: Any) -> ApiError:
        """The conventional error for a bare HTTP status (fault rules, framework errors)."""
        code = DEFAULT_CODES.get(status, "InternalServiceError" if status >= 500 else "InvalidParameter")
        return cls(status, code, message or f"The mock answered {status} as asked.", **kw)


#: Longest message and param an error echoes: input quoted in a message is cut, so a 1 MB field name never
#: makes a 2 MB answer [FIDELITY §12].
MAX_MESSAGE = 1000
MAX_PARAM = 200


def safe_text(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (marked with …) and with any lone surrogate written as ``\\udXXX``,
    so it always encodes as UTF-8 [FIDELITY §12]."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if not text.isascii():
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def ark_type(status: int) -> str:
    """Ark's error ``type`` for ``status``."""
    return ARK_TYPES.get(status, "InternalServerError" if status >= 500 else "BadRequest")


def render(error: ApiError, family: str, request_id: str) -> dict[str, Any]:
    """The JSON body upstream sends for ``error`` in ``family`` (``ark``, ``predictions`` or ``mock``)."""
    message = safe_text(error.message, MAX_MESSAGE)
    param = None if error.param is None else safe_text(error.param, MAX_PARAM)
    if error.gateway:
        return {
            "error": {
                "message": message,
                "type": GATEWAY_TYPES.get(error.status, ark_type(error.status)),
                "code": error.code,
                "param": param,
            }
        }
    # Ark messages end with the request id [FIDELITY §2: "... Request ID: …"].
    detail = {
        "code": error.code,
        "message": f"{message} Request ID: {request_id}",
        "param": param,
        "type": ark_type(error.status),
    }
    if family == "predictions":
        return {"code": error.status, "message": message, "data": None, "error": detail}
    return {"error": detail}
