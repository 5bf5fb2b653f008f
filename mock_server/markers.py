"""``[mock:…]`` markers in a prompt: upstream errors on demand [issue 3; FIDELITY §10]. A marker either refuses
the create at once (:func:`create_time_faults`) or decides how the task ends (:func:`outcome_of`)."""

from __future__ import annotations

import re

from mock_server.errors import ApiError

MARKERS = (
    "content_policy", "fail", "expire", "500", "429",
    # The catalogue beyond the seeds [FIDELITY §10].
    "image_policy", "video_policy", "audio_policy", "output_audio_policy", "set_limit", "overloaded",
)  # fmt: skip
_MARKER = re.compile(r"\[mock:([a-z0-9_]+)\]")


def markers(prompt: str | None) -> set[str]:
    """The ``[mock:…]`` markers in a prompt."""
    if not prompt or "[mock:" not in prompt:  # (no marker without it: most prompts skip the pattern)
        return set()
    return set(_MARKER.findall(prompt)) & set(MARKERS)


# Input refusals by marker: (code, what, Ark param, predictions param) [FIDELITY §10].
_INPUT_REFUSALS = {
    "content_policy": ("InputTextSensitiveContentDetected", "input text", "content", "prompt"),
    "image_policy": ("InputImageSensitiveContentDetected", "input image", "content", "image"),
    "video_policy": ("InputVideoSensitiveContentDetected", "input video", "content", "videos"),
    "audio_policy": ("InputAudioSensitiveContentDetected", "input audio", "content", "audios"),
}


def create_time_faults(found: set[str], family: str) -> None:
    """Raise the create-time error a marker asks for [issue 3: upstream errors on demand; FIDELITY §10]."""
    if not found:
        return
    for marker, (code, what, ark_param, predictions_param) in _INPUT_REFUSALS.items():
        if marker in found:
            raise ApiError(
                400,
                code,
                f"The request failed because the {what} may contain sensitive information.",
                predictions_param if family == "predictions" else ark_param,
            )
    if "set_limit" in found:
        raise ApiError(
            429,
            "SetLimitExceeded",
            "The request failed because you have reached the inference limit you set for this model.",
            headers={"x-should-retry": "false"},
        )
    if "overloaded" in found:
        raise ApiError(
            429,
            "ServerOverloaded",
            "The service is currently overloaded. Please retry later.",
            headers={"Retry-After": "1"},
        )
    if "500" in found:
        raise ApiError(500, "InternalServiceError", "The service encountered an unexpected internal error.")
    if "429" in found:
        raise ApiError(
            429,
            "RateLimitExceeded.EndpointRPMExceeded",
            "The request rate limit for this endpoint has been exceeded. Please retry later.",
            headers={"Retry-After": "1"},
        )


def outcome_of(found: set[str]) -> str:
    """How a task with markers ``found`` ends: ``succeed``, ``fail``, ``fail_audio`` or ``expire`` [FIDELITY §10]."""
    if "expire" in found:
        return "expire"
    if "fail" in found:
        return "fail"
    if "output_audio_policy" in found:
        return "fail_audio"  # the task fails with OutputAudioSensitiveContentDetected [FIDELITY §10]
    return "succeed"
