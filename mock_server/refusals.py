"""Contract verdicts as upstream errors: which ``ApiError`` a violation of a request contract, or an unknown
model, is answered with [FIDELITY §10]. The contracts judge; this module only names the code."""

from __future__ import annotations

from typing import Any

import contracts
from contracts import Model, Violation
from mock_server.errors import ApiError


def violation_error(v: Violation) -> ApiError:
    """Ark's answer to one contract violation [FIDELITY §10]."""
    if v.kind == "missing":
        return ApiError(400, "MissingParameter", f"The request is missing the parameter `{v.param}`.", v.param)
    if v.kind == "unsupported" and v.message.startswith("the specified parameter"):
        return ApiError(400, "InvalidParameter.UnsupportedParameter", v.message, v.param)  # [FIDELITY §5]
    if v.kind == "unsupported":
        return ApiError(
            400,
            "InvalidParameter.UnsupportedParameter",
            f"The parameter `{v.param}` is not supported here.",
            v.param,
        )
    return ApiError(
        400,
        "InvalidParameter",
        f"The parameter `{v.param}` specified in the request is not valid: {v.message}",
        v.param,
    )


def check_contract(name: str, body: Any) -> None:
    """Raise the upstream error for the most relevant violation of contract ``name``, if any."""
    found = contracts.violations(name, body)
    if found:
        raise violation_error(found[0])


def known_model(name: Any) -> Model:
    """The model called exactly ``name`` (id or alias), or a 404 [FIDELITY §5: unknown model → 404]."""
    if name is None:
        raise ApiError(400, "MissingParameter", "The request is missing the parameter `model`.", "model")
    if not isinstance(name, str) or not name:
        raise ApiError(400, "InvalidParameter", "The parameter `model` must be a model name.", "model")
    model = contracts.lookup_model(name)
    if model is None or name not in model.names:
        raise ApiError(
            404,
            "InvalidEndpointOrModel.NotFound",
            f"The model or endpoint {name} does not exist or you do not have access to it.",
            "model",
        )
    return model
