"""JSON contracts and capability data for GPTProto's Seedance API: the single source of truth.

``validator(name)`` / ``violations(name, body)`` judge requests and responses; ``lookup_model``,
``frame_size`` and ``token_usage`` answer capability questions. Imports nothing of ours.
"""

from contracts._capabilities import (
    FPS,
    Model,
    all_models,
    family_rules,
    frame_count,
    frame_size,
    lookup_model,
    nearest_ratio,
    normalize_resolution,
    ratios,
    resolution_table,
    resolutions,
    task_type,
    token_usage,
    unsupported_message,
    upstream_name,
)
from contracts._registry import (
    ID_PREFIX,
    Violation,
    is_valid,
    names,
    registry,
    schema,
    validator,
    violations,
)
from contracts.commands import TextCommand, read_commands, text_commands

__all__ = [
    "FPS",
    "ID_PREFIX",
    "Model",
    "TextCommand",
    "Violation",
    "all_models",
    "family_rules",
    "frame_count",
    "frame_size",
    "is_valid",
    "lookup_model",
    "names",
    "nearest_ratio",
    "normalize_resolution",
    "ratios",
    "read_commands",
    "registry",
    "resolution_table",
    "resolutions",
    "schema",
    "task_type",
    "text_commands",
    "token_usage",
    "unsupported_message",
    "upstream_name",
    "validator",
    "violations",
]
