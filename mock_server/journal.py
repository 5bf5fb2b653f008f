"""The request journal (``GET /_mock/requests``): what came in and what went out, keys redacted.

Entries are recorded on every API request and read rarely, so recording keeps references only; the JSON
view (with long strings such as data URIs cut) is built when someone reads it.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import parse_qs


def summary(value: Any, limit: int = 200) -> Any:
    """A body as the journal shows it: long strings (data URIs) cut, structure kept."""
    if isinstance(value, str):
        return value if len(value) <= limit else f"{value[:limit]}…({len(value)} chars)"
    if isinstance(value, list):
        return [summary(v, limit) for v in value]
    if isinstance(value, dict):
        return {k: summary(v, limit) for k, v in value.items()}
    return value


class Entry(NamedTuple):
    """One recorded request; ``status`` None means the connection was dropped on purpose."""

    seq: int
    time: float
    request_id: str | None
    method: str
    path: str
    query_string: str
    key: str | None  # already redacted
    body: Any
    status: int | None

    def as_json(self) -> dict[str, Any]:
        """The entry as ``GET /_mock/requests`` shows it."""
        return {
            "seq": self.seq,
            "time": self.time,
            "request_id": self.request_id,
            "method": self.method,
            "path": self.path,
            "query": parse_qs(self.query_string, keep_blank_values=True),
            "key": self.key,
            "body": summary(self.body),
            "status": self.status,
        }
