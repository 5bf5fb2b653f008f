"""A thin, safe Python client for GPTProto's Seedance video API (and the seedance-mock fake of it).

``SeedanceClient`` / ``AsyncSeedanceClient`` speak both API families: Ark content-generation tasks
(``create_task``, ``get_task``, ``list_tasks``…) and predictions (``text_to_video``, ``get_prediction``…).
Requests are checked against the capability data before anything is sent; every error is typed.
"""

from client._async import AsyncSeedanceClient
from client._base import DEFAULT_BASE_URL, ENV_API_KEY, ENV_BASE_URL
from client._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ContentPolicyError,
    InsufficientBalanceError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    SeedanceError,
    TaskCancelledError,
    TaskError,
    TaskExpiredError,
    TaskFailedError,
    ValidationError,
    WaitTimeout,
    WebhookVerificationError,
)
from client._media import to_data_uri, to_media_url
from client._retry import retry_delay, should_retry
from client._sync import SeedanceClient
from client._types import ErrorInfo, Prediction, Task, TaskList, Usage, normalize_status
from client._validation import validate_ark_request, validate_prediction_request

__all__ = [
    "DEFAULT_BASE_URL",
    "ENV_API_KEY",
    "ENV_BASE_URL",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncSeedanceClient",
    "AuthenticationError",
    "BadRequestError",
    "ContentPolicyError",
    "ErrorInfo",
    "InsufficientBalanceError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "Prediction",
    "RateLimitError",
    "SeedanceClient",
    "SeedanceError",
    "Task",
    "TaskCancelledError",
    "TaskError",
    "TaskExpiredError",
    "TaskFailedError",
    "TaskList",
    "Usage",
    "ValidationError",
    "WaitTimeout",
    "WebhookVerificationError",
    "normalize_status",
    "retry_delay",
    "should_retry",
    "to_data_uri",
    "to_media_url",
    "validate_ark_request",
    "validate_prediction_request",
]
