"""Reading JSON bodies and writing JSON answers, the same way for every route.

Every JSON body passes one door (:func:`read_json`): what gets past it can be stored, listed, journaled and
echoed without surprises [FIDELITY §12].
"""

from __future__ import annotations

import itertools
import json
import math
import re
from typing import Any

from aiohttp import web

from mock_server.errors import ApiError, safe_text

_JSON_TYPES = ("application/json", "text/json")
#: Content-Type headers already found to declare JSON (a client sends the same one every time).
_JSON_DECLARED: set[str] = set()

# Typed per-request storage (aiohttp's RequestKey).
API_KEY = web.RequestKey("api_key", str)
BODY = web.RequestKey("body", object)
RAW_BODY = web.RequestKey("raw_body", bytes)
#: The id of the task a create made (the dashboard pairs the task with its create request).
CREATED_TASK = web.RequestKey("created_task", str)
#: What was learnt of the body's data: images while they were stored (by id of the URI string, valid while the
#: body is): the journal sums them up from these instead of decoding them again [issue 17].
URI_FACTS = web.RequestKey("uri_facts", dict)

#: Deepest nesting of arrays and objects a body may have; the deepest real body (an Ark create) has 4
#: [FIDELITY §12].
MAX_DEPTH = 32
#: Most values (arrays, objects, strings, numbers…) a body may hold; a real create holds a few dozen. Bounds the
#: walk's cost on a body of millions of tiny values [FIDELITY §12].
MAX_VALUES = 100_000
#: Integers must fit in 64 bits (upstream's fields are int64 at most) [FIDELITY §12].
INT_MIN, INT_MAX = -(2**63), 2**64 - 1
_SURROGATE = re.compile("[\ud800-\udfff]")


#: Counts the refused values the parser makes (``next`` is atomic): a parse during which it moved by more than
#: the reads around it may hold one, so its body gets the walk that finds where.
_REFUSALS = itertools.count()


class _Refused:
    """A number the parser met that the door refuses (found again, with its path, by the walk)."""

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why
        next(_REFUSALS)


def _parse_int(text: str) -> int | _Refused:
    # Checked before int(): a 5 000-digit literal would hit Python's int-string limit (a ValueError).
    if len(text.lstrip("-")) > 20:
        return _Refused("is an integer too large")
    value = int(text)
    return value if INT_MIN <= value <= INT_MAX else _Refused("is an integer too large")


def _parse_float(text: str) -> float | _Refused:
    value = float(text)
    return value if math.isfinite(value) else _Refused("is a number too large")


def _parse_constant(text: str) -> _Refused:
    return _Refused(f"is {text}, which is not JSON")


def _path(node: Any) -> str:
    """``content[1].image_url.url`` for a chain of (parent, key or index) nodes."""
    parts: list[str] = []
    while node is not None:
        node, seg = node
        parts.append(f"[{seg}]" if isinstance(seg, int) else f".{safe_text(seg, 64)}")
    return "".join(reversed(parts)).lstrip(".")


def _items(value: dict[str, Any] | list[Any]) -> Any:
    return iter(value.items()) if isinstance(value, dict) else enumerate(value)


def check_value(body: Any) -> None:
    """Refuse (400 naming the field) what cannot be stored and echoed safely: lone surrogates in strings or
    keys, nesting deeper than :data:`MAX_DEPTH`, and numbers beyond 64 bits or not finite [FIDELITY §12].

    Iterative (no body can exhaust the stack), holding one iterator per level, and cheap for the common
    case: ASCII strings are passed by a C-speed ``isascii``; a path is only spelled out for the refusal.
    """
    if not isinstance(body, (dict, list)):
        _check_leaf(body, None)
        return
    stack: list[tuple[Any, Any, int]] = [(_items(body), None, 1)]
    budget = MAX_VALUES
    while stack:
        items, node, depth = stack[-1]
        for seg, item in items:
            budget -= 1
            if budget < 0:
                raise ApiError(
                    400,
                    "InvalidParameter",
                    f"The request body holds too many values: at most {MAX_VALUES} arrays, objects, strings"
                    " and numbers.",
                )
            if isinstance(seg, str) and not seg.isascii() and _SURROGATE.search(seg):
                raise _invalid(_path((node, seg)), "is a field name that is not valid Unicode (a lone surrogate)")
            if isinstance(item, (dict, list)):
                if depth >= MAX_DEPTH:
                    raise _too_deep(_path((node, seg)))
                stack.append((_items(item), (node, seg), depth + 1))
                break
            _check_leaf(item, (node, seg))
        else:
            stack.pop()


def _check_leaf(value: Any, node: Any) -> None:
    if isinstance(value, str):
        if not value.isascii() and _SURROGATE.search(value):
            raise _invalid(_path(node), "is not valid Unicode (it holds a lone surrogate)")
    elif isinstance(value, _Refused):
        raise _invalid(_path(node), value.why)


def _invalid(path: str, why: str) -> ApiError:
    where = f"The parameter `{path}`" if path else "The request body"
    return ApiError(400, "InvalidParameter", f"{where} {why}.", path or None)


def _too_deep(path: str) -> ApiError:
    return ApiError(
        400,
        "InvalidParameter",
        f"The request body is nested too deeply: at most {MAX_DEPTH} levels of arrays and objects.",
        path or None,
    )


#: The parser every body goes through (built once: ``json.loads`` with hooks builds one per call).
_DECODE = json.JSONDecoder(parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant).decode


def _walk_needed(raw: bytes, encoding: str, before: int) -> bool:
    """Whether :func:`check_value` could refuse the body parsed from ``raw``. Not when the parse refused no
    number, and ``raw`` is UTF-8 and ASCII without ``\\u`` escapes (no string can hold a surrogate), opens at most
    MAX_DEPTH arrays and objects in all (none can nest deeper) and is shorter than MAX_VALUES bytes (it
    cannot hold more values): a typical create body skips the walk. Any doubt means the walk."""
    return (
        next(_REFUSALS) != before + 1
        or encoding != "utf-8"
        or len(raw) >= MAX_VALUES
        or not raw.isascii()
        or b"\\u" in raw
        or raw.count(b"[") + raw.count(b"{") > MAX_DEPTH
    )


_OPENERS = (b"{", b"[")


def detect_encoding(raw: bytes) -> str:
    """``json.detect_encoding(raw)``: an object or array whose second byte is not NUL is UTF-8 by its rules (no
    BOM starts with "{" or "["), which the common body need not be put through."""
    return "utf-8" if raw[:1] in _OPENERS and raw[1:2] != b"\x00" else json.detect_encoding(raw)


def parse_json(raw: bytes) -> Any:
    """``raw`` as JSON that passed :func:`check_value`, or a 400."""
    before = next(_REFUSALS)
    encoding = detect_encoding(raw)
    try:
        # What json.loads does with bytes: UTF-8, -16 or -32 by the first bytes, surrogates kept for the check.
        body = _DECODE(raw.decode(encoding, "surrogatepass"))
    except RecursionError:
        # Deeper than the C parser can go at all ("[" × 100 000); the walk bounds the rest.
        raise _too_deep("") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "InvalidParameter", f"The request body is not valid JSON: {exc}.") from None
    except ValueError:  # anything else the parser refuses
        raise ApiError(400, "InvalidParameter", "The request body is not valid JSON.") from None
    if _walk_needed(raw, encoding, before):
        check_value(body)
    return body


async def _body(request: web.Request) -> bytes:
    """The request's body. When all of it has arrived and none was read (a small JSON body comes in the packet
    of its headers), taken from the stream at once: ``request.read()`` awaits it chunk by chunk and copies it
    twice [issue 17]. The size limit holds either way (413)."""
    content = request.content
    if not (content.is_eof() and not content.at_eof()):
        return await request.read()
    raw = content.read_nowait()
    if request.client_max_size and len(raw) > request.client_max_size:
        raise web.HTTPRequestEntityTooLarge(request.client_max_size, len(raw))
    return raw


async def read_json(request: web.Request, *, strict: bool = True) -> Any:
    """The request's JSON body (parsed once, cached on the request), or a clear 4xx.

    A missing Content-Type is tolerated; with ``strict`` (the API families) a form or text body is 415;
    invalid JSON is 400; a body over ``--max-body-mb`` is 413 (aiohttp raises it while reading,
    mock_server.app.framed shapes it). The control plane's own rule (JSON only for state changes) is enforced
    before its handlers run [FIDELITY §13].
    """
    if BODY in request:
        return request[BODY]
    declared = request.headers.get("Content-Type")
    if strict and declared and declared not in _JSON_DECLARED:
        ctype = request.content_type
        if not (ctype in _JSON_TYPES or ctype.endswith("+json")):
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f"Content-Type must be application/json, not {ctype}.",
            )
        if len(_JSON_DECLARED) >= 64:
            _JSON_DECLARED.clear()  # made-up headers must not grow the server
        _JSON_DECLARED.add(declared)
    raw = request.get(RAW_BODY)
    if raw is None:  # (read before when a fault rule's model filter looked at a body it could not parse)
        raw = await _body(request)
    request[RAW_BODY] = raw  # (the journal keeps a small body as these bytes)
    if not raw.strip():
        raise ApiError(400, "MissingParameter", "The request body is empty; send a JSON object.")
    body = parse_json(raw)
    request[BODY] = body
    return body


def may_hold_data_uri(request: web.Request) -> bool:
    """False only when the JSON body read (:func:`read_json`) surely holds no ``data:`` string: its bytes are
    ASCII-compatible (no NUL: not UTF-16 or -32), do not spell ``data:`` in any letter case, and hold no
    ``\\u`` escape that could. The common create skips looking for an inline image in its parsed body."""
    raw = request.get(RAW_BODY)
    # Past 64 KiB the answer is as good as yes (a big create body is an inline image), and lower() would copy
    # all of an 11 MB body to say so.
    return raw is None or len(raw) > 65536 or b"\x00" in raw or b"\\u" in raw or b"data:" in raw.lower()


def uri_facts(request: web.Request) -> dict[int, dict[str, Any]]:
    """A fresh :data:`URI_FACTS` for this request, for the image ingester to fill."""
    facts: dict[int, dict[str, Any]] = {}
    request[URI_FACTS] = facts
    return facts


#: One encoder for every answer (``json.dumps`` with options builds a new one per call).
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_ENCODE_ASCII = json.JSONEncoder(separators=(",", ":")).encode
_JSON_UTF8 = "application/json; charset=utf-8"


def reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response (compact, UTF-8).

    What passed :func:`read_json` always encodes; anything else that still holds a lone surrogate (a header
    echoed in a message) is written with it escaped, never as aiohttp's plain-text 500 [FIDELITY §12].
    """
    try:
        body = _ENCODE(data).encode()
    except UnicodeEncodeError:
        body = _ENCODE_ASCII(data).encode()
    # The Content-Type given whole: aiohttp's content_type/charset arguments rebuild it on every answer.
    return web.Response(
        body=body,
        status=status,
        headers={"Content-Type": _JSON_UTF8} if headers is None else {**headers, "Content-Type": _JSON_UTF8},
    )


def reply_json(body: bytes, status: int = 200) -> web.Response:
    """A response of already encoded JSON (what :func:`reply` would have sent)."""
    return web.Response(body=body, status=status, headers={"Content-Type": _JSON_UTF8})


class AnswerCache:
    """Encoded answers of finished tasks, which never change, by (task, kind, origin): a finished task polled
    again costs a lookup instead of building and encoding its object. Holds at most ``size`` answers (the
    oldest go first); an entry counts only for the very task object it was made from, so a task deleted or
    replaced (a reset, an id met again) is never answered from here."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._answers: dict[tuple[str, str, str], tuple[object, bytes]] = {}

    def get(self, task: Any, kind: str, origin: str) -> bytes | None:
        found = self._answers.get((task.id, kind, origin))
        return found[1] if found is not None and found[0] is task else None

    def put(self, task: Any, kind: str, origin: str, body: bytes) -> None:
        answers = self._answers
        if len(answers) >= self.size:
            try:
                del answers[next(iter(answers))]
            except (RuntimeError, KeyError, StopIteration):  # another server's thread got there first
                answers.clear()
        answers[(task.id, kind, origin)] = (task, body)


#: The one cache of finished tasks' answers (entries are tied to task objects, so servers cannot mix).
ANSWERS = AnswerCache()


def encode(data: Any) -> bytes:
    """``data`` as :func:`reply` writes it (compact UTF-8; lone surrogates escaped)."""
    try:
        return _ENCODE(data).encode()
    except UnicodeEncodeError:
        return _ENCODE_ASCII(data).encode()


# host[:port] as a client may name us: a DNS name or IPv4 address, or a bracketed IPv6 one [FIDELITY §12].
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9._-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::([0-9]{1,5}))?")


def valid_host(host: str) -> bool:
    """Whether ``host`` (a Host header) is a plain ``name[:port]`` safe to build URLs from."""
    match = _HOST.fullmatch(host)
    return match is not None and (match.group(1) is None or int(match.group(1)) <= 65535)


#: Host headers already found valid (a client sends the same one every time); emptied when it grows past 64.
_VALID_HOSTS: set[str] = set()


def check_host(request: web.Request) -> None:
    """400 when the request's Host header is not a plain ``name[:port]``: the mock builds the URLs it hands
    out from it (unless ``--public-url`` is set), so ``Host: x/y?z#`` must not reach them [FIDELITY §12]."""
    host = request.headers.get("Host")
    if host is None or host in _VALID_HOSTS:
        return
    if not valid_host(host):
        raise ApiError(400, "InvalidParameter", "The Host header is not a valid host[:port].", "Host")
    if len(_VALID_HOSTS) >= 64:
        _VALID_HOSTS.clear()  # made-up Host headers must not grow the server
    _VALID_HOSTS.add(host)
