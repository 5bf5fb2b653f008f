"""The request journal (``GET /_mock/requests``): what came in and what went out, keys redacted.

Bounded twice [issue 10, FIDELITY §12]: by entries (``--journal-size``) and by bytes (``--journal-mb``). A body
is summed up when it is recorded, so no large value outlives its request: a ``data:`` URI over 64 KiB becomes
its media type, size and sha256 (:func:`mock_server.images.data_uri_facts`; smaller ones are kept for the
dashboard's thumbnails and shown as those facts too), any other long string its first 200
characters and its length, and one entry's body keeps at most ~16 KB of structure (deeper or further items
become ``"…"``). What remains is always JSON that can be listed (lone surrogates replaced, huge integers
written as text).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qs

from mock_server.accounts import redact
from mock_server.images import data_uri_facts
from mock_server.wire import parse_json

if TYPE_CHECKING:
    from mock_server.durable import Durable

#: Strings longer than this are cut (data URIs summed up instead).
STRING_LIMIT = 200
#: A data: URI up to this long is kept whole (counted in the bytes): the dashboard draws its thumbnail.
#: ``GET /_mock/requests`` shows every data: URI as its facts, whatever its length.
KEEP_DATA_URI_CHARS = 64 * 1024
#: Approximate bytes of body one entry keeps at most; the rest of a bigger body is elided.
ENTRY_BODY_BUDGET = 16 * 1024
#: Containers nested deeper than this are elided (a body is refused deeper than that anyway).
MAX_DEPTH = 32
#: Integers wider than this many bits are kept as text (Python refuses str() of > 4300 digits).
_INT_BITS = 64
#: What one entry costs besides its body: the tuple, the request id, method, path (approximate).
_ENTRY_OVERHEAD = 400
ELIDED = "…"


def _text(value: str) -> str:
    """``value`` as JSON can carry it: lone surrogates (invalid UTF-8) become U+FFFD, once, here."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


class _Summary:
    """One body walk with a byte budget. Costs model CPython objects roughly (str ~50 + len, dict ~64 + 32
    per item), so the journal's byte count is near the memory it really holds."""

    def __init__(self, budget: int, known: dict[int, dict[str, Any]] | None = None) -> None:
        self.left = budget
        self.kept_uris = 0  # bytes of small data: URIs kept whole (outside the structure budget)
        self.known = known  # data_uri_facts already found, by id of the URI (wire.URI_FACTS)

    def string(self, value: str) -> Any:
        if len(value) <= STRING_LIMIT:
            self.left -= 50 + len(value)
            return _text(value)
        if value[:5].lower() == "data:" and len(value) <= KEEP_DATA_URI_CHARS:
            self.kept_uris += 50 + len(value)
            return _text(value)
        if value[:5].lower() == "data:":
            known = self.known.get(id(value)) if self.known else None
            facts = dict(known) if known is not None else data_uri_facts(value)
            if facts is not None:
                facts["data_uri"] = _text(facts["data_uri"])[:STRING_LIMIT]
                self.left -= 400
                return facts
        cut = f"{_text(value[:STRING_LIMIT])}…({len(value)} chars)"
        self.left -= 50 + len(cut)
        return cut

    def walk(self, value: Any, depth: int) -> Any:
        kind = type(value)  # exact types first: a parsed body holds nothing else (the request path, per item)
        if kind is str:
            if len(value) <= STRING_LIMIT and value.isascii():
                self.left -= 50 + len(value)
                return value
            return self.string(value)
        if kind is dict:
            if depth >= MAX_DEPTH:
                return ELIDED
            self.left -= 64
            out: dict[str, Any] = {}
            for n, (key, item) in enumerate(value.items()):
                if self.left <= 0:
                    out[ELIDED] = f"({len(value) - n} more keys)"
                    break
                self.left -= 32
                # The item before its key, as ``out[k(key)] = walk(item)`` would; a short ASCII string as is.
                if type(item) is str and len(item) <= STRING_LIMIT and item.isascii():
                    self.left -= 50 + len(item)
                    kept = item
                else:
                    kept = self.walk(item, depth + 1)
                if type(key) is str and len(key) <= STRING_LIMIT and key.isascii():
                    self.left -= 50 + len(key)
                    out[key] = kept
                else:
                    out[self.string(str(key))] = kept
            return out
        if kind is list or kind is tuple:
            return self._items(value, depth)
        if isinstance(value, str):
            return self.string(value)
        if isinstance(value, bool) or value is None or isinstance(value, float):
            self.left -= 24
            return value
        if isinstance(value, int):
            self.left -= 32
            return value if value.bit_length() <= _INT_BITS else f"…({value.bit_length()}-bit integer)"
        if isinstance(value, dict):
            return self.walk(dict(value), depth)
        if isinstance(value, list | tuple):
            return self._items(value, depth)
        self.left -= 50
        return _text(repr(value))[:STRING_LIMIT]

    def _items(self, value: list[Any] | tuple[Any, ...], depth: int) -> Any:
        if depth >= MAX_DEPTH:
            return ELIDED
        self.left -= 56
        items: list[Any] = []
        for n, item in enumerate(value):
            if self.left <= 0:
                items.append(f"{ELIDED}({len(value) - n} more items)")
                break
            self.left -= 8
            items.append(self.walk(item, depth + 1))
        return items


def summary(value: Any, limit: int = STRING_LIMIT) -> Any:
    """``value`` with every string longer than ``limit`` cut (a note of its length kept), structure intact:
    what the delivery log keeps of a body it sent (bodies come through the door, so their depth is bounded)."""
    if isinstance(value, str):
        return value if len(value) <= limit else f"{value[:limit]}…({len(value)} chars)"
    if isinstance(value, list):
        return [summary(v, limit) for v in value]
    if isinstance(value, dict):
        return {k: summary(v, limit) for k, v in value.items()}
    return value


#: A body that passed the door whole and is at most this long is kept as its bytes (see RawBody).
RAW_BODY_BYTES = 4096


class RawBody:
    """A small body kept as the bytes it came in: the structure :func:`summarize` would make of it is built only
    when the entry is read (``GET /_mock/requests``, the dashboard, the state file), not for every create, where
    walking it cost ~10% of the request [issue 17]. At most :data:`RAW_BODY_BYTES`, so no large value outlives
    its request here either [FIDELITY §12]; read back, it is exactly what summing it up at once gave."""

    __slots__ = ("raw",)

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def summary(self) -> Any:
        return summarize(parse_json(self.raw))[0]


def summarize(
    body: Any, budget: int = ENTRY_BODY_BUDGET, known: dict[int, dict[str, Any]] | None = None
) -> tuple[Any, int]:
    """``(what the journal keeps of body, its approximate size in bytes)``; ``known`` holds the facts of data:
    URIs in ``body`` already found (by id of the string, while ``body`` is alive)."""
    walk = _Summary(budget, known)
    kept = walk.walk(body, 0)
    return kept, budget - walk.left + walk.kept_uris


def view(kept: Any, depth: int = 0) -> Any:
    """A kept body as ``GET /_mock/requests`` shows it: every data: URI as its facts (small ones were kept
    whole for the dashboard's thumbnails)."""
    if isinstance(kept, str):
        return data_uri_facts(kept) or kept if kept[:5].lower() == "data:" else kept
    if depth >= MAX_DEPTH:
        return kept
    if isinstance(kept, list):
        return [view(v, depth + 1) for v in kept]
    if isinstance(kept, dict):
        return {k: view(v, depth + 1) for k, v in kept.items()}
    return kept


class Entry(NamedTuple):
    """One recorded request; ``status`` None means the connection was dropped on purpose."""

    seq: int
    time: float
    request_id: str | None
    method: str
    path: str
    query_string: str
    key: str | None  # already redacted
    body: Any  # already summed up (see summarize), or a RawBody to sum up when read: see kept_body
    status: int | None
    size: int = 0  # approximate bytes this entry holds

    def kept_body(self) -> Any:
        """What the journal keeps of the request's body (:func:`summarize`'s structure)."""
        body = self.body
        return body.summary() if type(body) is RawBody else body

    def as_json(self) -> dict[str, Any]:
        """The entry as ``GET /_mock/requests`` shows it."""
        return {
            "seq": self.seq,
            "time": self.time,
            "request_id": self.request_id,
            "method": self.method,
            "path": _text(self.path),
            "query": parse_qs(self.query_string, keep_blank_values=True),
            "key": self.key,
            "body": view(self.kept_body()),
            "status": self.status,
        }


_new_entry = tuple.__new__


class Journal:
    """The newest entries, at most ``max_entries`` of them and about ``max_bytes`` in all (the newest entry is
    always kept). Iterates oldest first.

    The one owner of the journal's operations: numbering (:attr:`seq`, never reused, not even by a reset),
    redaction and summing up (:meth:`record`), filtering (:meth:`query`) and forgetting (:meth:`clear`)."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max(1, max_entries)
        self.max_bytes = max_bytes
        self._entries: deque[Entry] = deque()
        #: Approximate bytes held by the entries kept now.
        self.bytes = 0
        #: The state file (``--state``), told of every entry recorded and of what the bounds dropped.
        self.durable: Durable | None = None
        #: The sequence number of the last entry recorded.
        self.seq = 0
        #: Keys as entries show them, by key (a client sends the same key every time).
        self._redacted: dict[str | None, str | None] = {}

    def record(
        self,
        time: float,
        request_id: str | None,
        method: str,
        path: str,
        query_string: str,
        key: str | None,
        body: Any,
        status: int | None,
        known: dict[int, dict[str, Any]] | None = None,
    ) -> Entry:
        """Number, redact (``key``) and sum up (``body``) one API request, and keep it. Summed up now, not
        when read: a data: image must not outlive its request [FIDELITY §12] (a small :class:`RawBody` is
        kept as it is, its bytes hold nothing large). ``known``: see :func:`summarize`."""
        self.seq += 1
        if body is None:
            kept, size = None, 24  # (a GET's: what summarize says of None)
        elif type(body) is RawBody:
            kept, size = body, 90 + len(body.raw)
        else:
            kept, size = summarize(body, known=known)
        query_string = _text(query_string)
        size += _ENTRY_OVERHEAD + len(path) + len(query_string)
        shown = self._redacted.get(key)
        if shown is None:
            shown = redact(key)
            if len(self._redacted) >= 1024:
                self._redacted.clear()  # random keys must not grow the server
            self._redacted[key] = shown
        # (tuple.__new__: Entry(...) runs a Python-level __new__; the same tuple, for less [issue 17])
        item = _new_entry(Entry, (self.seq, time, request_id, method, path, query_string, shown, kept, status, size))
        self.append(item)
        return item

    def query(self, method: str | None = None, path: str | None = None, limit: int = 0) -> list[Entry]:
        """The entries, oldest first, of ``method`` (any case) whose path starts with ``path``; only the
        newest ``limit`` when ``limit`` is positive (``GET /_mock/requests``)."""
        wanted = (method or "").upper()
        entries = [
            e for e in self._entries if (not wanted or e.method == wanted) and (not path or e.path.startswith(path))
        ]
        return entries[-limit:] if limit > 0 else entries

    def append(self, item: Entry) -> None:
        """Keep ``item``, forgetting the oldest entries until both bounds hold."""
        entries = self._entries
        entries.append(item)
        self.bytes += item.size
        while len(entries) > 1 and (len(entries) > self.max_entries or self.bytes > self.max_bytes):
            self.bytes -= entries.popleft().size
        if self.durable is not None:
            self.durable.journal(item, entries[0].seq)

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()
        self.bytes = 0
        if self.durable is not None:
            self.durable.cleared("journal")

    def restore(self, entries: list[Entry]) -> None:
        """Take back the entries of a state file (oldest first), within this journal's bounds."""
        for item in entries:
            self.append(item)

    @property
    def maxlen(self) -> int:
        """The entry bound (as a deque names it)."""
        return self.max_entries

    def __len__(self) -> int:
        return len(self._entries)

    def __reversed__(self) -> Iterator[Entry]:
        yield from reversed(self._entries)  # yield, not return: mypy types reversed() of an Entry deque as Any

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries)

    def __getitem__(self, index: int) -> Entry:
        return self._entries[index]
