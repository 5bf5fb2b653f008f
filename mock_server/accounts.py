"""API keys: authentication, balance, request rate and allowed models — the gateway's concerns [FIDELITY §1]."""

from __future__ import annotations

import math
import re
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import contracts
from mock_server.errors import ApiError

if TYPE_CHECKING:
    from mock_server.durable import Durable

_KEY = re.compile(r"^[A-Za-z0-9._\-]{1,256}$")


@dataclass
class KeyAccount:
    """What the mock knows of one API key (``PUT /_mock/keys/{key}`` edits the first four fields)."""

    balance: int
    rpm: int | None
    models: tuple[str, ...] | None = None  # None = every model
    valid: bool = True
    spent: int = 0
    hits: deque[float] = field(default_factory=deque)

    def public(self) -> dict[str, Any]:
        """The settings as JSON."""
        return {
            "balance": self.balance,
            "rpm": self.rpm,
            "models": list(self.models) if self.models is not None else None,
            "valid": self.valid,
            "spent": self.spent,
        }


def valid_key(key: str) -> bool:
    """Whether ``key`` is shaped like an API key the gateway could accept."""
    return _KEY.fullmatch(key) is not None


def _bad(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, "InvalidParameter", message, param)


def check_key_name(key: object) -> str:
    """``key`` when it is shaped like an API key, else a 400 naming ``key`` (the control plane's path part)."""
    if not isinstance(key, str) or not valid_key(key):
        raise _bad("An API key is 1 to 256 letters, digits, '.', '_' or '-'.", "key")
    return key


#: What ``PUT /_mock/keys/{key}`` (and ``MockServer.set_key``) may set.
KEY_SETTINGS = frozenset({"balance", "rpm", "models", "valid"})


def check_key_patch(body: Any) -> dict[str, Any]:
    """``body`` when it is a valid key patch (any of balance, rpm, models, valid), else a 400 naming the field."""
    if not isinstance(body, dict):
        raise _bad("Send a JSON object with any of balance, rpm, models, valid.")
    unknown = set(body) - KEY_SETTINGS
    if unknown:
        raise _bad(f"Unknown key setting(s): {', '.join(sorted(unknown))}.", sorted(unknown)[0])
    if "balance" in body and type(body["balance"]) is not int:
        raise _bad("balance must be an integer number of tokens.", "balance")
    if "rpm" in body and body["rpm"] is not None and (type(body["rpm"]) is not int or body["rpm"] < 1):
        raise _bad("rpm must be a positive integer, or null for no limit.", "rpm")
    if "models" in body and body["models"] is not None:
        models = body["models"]
        if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
            raise _bad("models must be a list of model names, or null for every model.", "models")
        unknown_models = [m for m in models if contracts.lookup_model(m) is None]
        if unknown_models:
            raise _bad(f"Unknown model(s): {', '.join(unknown_models)}.", "models")
    if "valid" in body and type(body["valid"]) is not bool:
        raise _bad("valid must be true or false.", "valid")
    return body


def redact(key: str | None) -> str | None:
    """A key as the journal shows it: enough to tell keys apart, never enough to use one."""
    if not key:
        return key
    return key[:3] + "…" + key[-4:] if len(key) > 10 else "…" + key[-2:]


#: The gateway's 401 wording [FIDELITY §10: GPTProto "Invalid authentication credentials"].
INVALID_CREDENTIALS = "Invalid authentication credentials."


def parse_authorization(header: str | None) -> str:
    """The key in ``Authorization: <key>`` or ``Authorization: Bearer <key>`` [FIDELITY §1], else a 401."""
    if header is None or not header.strip():
        raise ApiError(
            401,
            "invalid_api_key",
            "Invalid authentication credentials: send the API key in the Authorization header.",
            gateway=True,
        )
    parts = header.strip().split()
    if len(parts) == 2 and parts[0].lower() == "bearer":
        key = parts[1]
    elif len(parts) == 1 and parts[0].lower() != "bearer":
        key = parts[0]
    else:
        raise ApiError(
            401, "invalid_api_key", "Invalid authentication credentials: malformed Authorization header.", gateway=True
        )
    if not _KEY.match(key):
        raise ApiError(401, "invalid_api_key", INVALID_CREDENTIALS, gateway=True)
    return key


class Accounts:
    """Every key seen so far; unknown well-formed keys are accepted unless the mock runs with a key list.

    Bounded [issue 10, FIDELITY §12]: reading a key never stores it (an unknown key reads as the defaults).
    A key is stored when its state changes: set with ``PUT /_mock/keys/{key}`` (kept until a reset), or
    *implicitly* when it pays for a task or counts requests against a rate limit. At most
    ``max_implicit`` implicit accounts are kept; beyond that the least recently used one is forgotten (its
    spending and rate window start afresh if it comes back), so random keys cannot grow the server.
    """

    #: Implicit accounts kept at most (each holds a few hundred bytes and up to ``rpm`` timestamps).
    MAX_IMPLICIT = 10_000

    def __init__(
        self,
        *,
        default_balance: int,
        default_rpm: int | None,
        api_keys: tuple[str, ...] | None,
        max_implicit: int = MAX_IMPLICIT,
    ):
        self.default_balance = default_balance
        self.default_rpm = default_rpm
        self.strict = api_keys is not None
        self.max_implicit = max(1, max_implicit)
        self._allowed = set(api_keys or ())
        self._accounts: dict[str, KeyAccount] = {}
        self._implicit: OrderedDict[str, None] = OrderedDict()  # least recently used first
        #: Authorization headers already parsed, and their keys (a client sends the same one every time).
        self._parsed: dict[str | None, str] = {}
        #: The state file (``--state``), told of every stored, changed and forgotten account.
        self.durable: Durable | None = None

    def __len__(self) -> int:
        return len(self._accounts)

    def account(self, key: str) -> KeyAccount:
        """The account of ``key``; an unknown key reads as a fresh default account, which is not stored."""
        acct = self._accounts.get(key)
        return acct if acct is not None else KeyAccount(self.default_balance, self.default_rpm)

    def _stored(self, key: str) -> KeyAccount:
        """The account of ``key``, stored (implicitly, on first use) and marked as used just now."""
        acct = self._accounts.get(key)
        if acct is None:
            acct = self._accounts[key] = KeyAccount(self.default_balance, self.default_rpm)
            self._implicit[key] = None
            if self.durable is not None:
                self.durable.account(key, acct, explicit=False)
            while len(self._implicit) > self.max_implicit:
                forgotten, _ = self._implicit.popitem(last=False)
                del self._accounts[forgotten]
                if self.durable is not None:
                    self.durable.account_gone(forgotten)
        elif key in self._implicit:
            self._implicit.move_to_end(key)
        return acct

    def peek(self, key: str) -> KeyAccount:
        """The account of ``key`` as it stands, or the defaults it would start with: never creates one
        (a read must not register a key) [FIDELITY §13]. 400 when ``key`` is not shaped like a key."""
        return self.account(check_key_name(key))

    def authenticate(self, header: str | None) -> str:
        """The caller's key, or a 401 in the gateway shape."""
        key = self._parsed.get(header)
        if key is None:
            key = parse_authorization(header)
            if len(self._parsed) >= 256:
                self._parsed.clear()  # made-up headers must not grow the server
            self._parsed[header] = key
        known = key in self._accounts
        if (self.strict and key not in self._allowed and not known) or (known and not self._accounts[key].valid):
            raise ApiError(401, "invalid_api_key", INVALID_CREDENTIALS, gateway=True)
        return key

    def check_rate(self, key: str, now: float) -> None:
        """Count a request; 429 with Retry-After when the key's per-minute limit is spent [§1]."""
        acct = self._accounts.get(key)
        if (acct.rpm if acct is not None else self.default_rpm) is None:
            return  # no limit: nothing to count, nothing to store
        acct = self._stored(key)
        if acct.rpm is None:
            return
        hits = acct.hits
        while hits and hits[0] <= now - 60.0:
            hits.popleft()
        if len(hits) >= acct.rpm:
            retry = max(1, math.ceil(hits[0] + 60.0 - now))
            raise ApiError(
                429,
                "rate_limit_exceeded",
                f"Rate limit reached: {acct.rpm} requests per minute for this key.",
                gateway=True,
                headers={"Retry-After": str(retry)},
            )
        hits.append(now)

    def check_model(self, key: str, model_id: str, names: tuple[str, ...]) -> None:
        """403 when the key may not use the model (``PUT /_mock/keys/{key}`` ``models``)."""
        allowed = self.account(key).models
        if allowed is not None and not (set(allowed) & set(names)):
            message = f"You do not have access to this resource: this API key may not use {model_id}."
            raise ApiError(403, "insufficient_permissions", message, gateway=True)

    def check_balance(self, key: str, cost: int) -> None:
        """403 when the balance cannot pay for ``cost`` tokens [seed: 403 insufficient balance]."""
        acct = self.account(key)
        if acct.balance < 0:
            # A balance already below zero is an overdue account, in Ark's words [FIDELITY §10].
            raise ApiError(
                403,
                "AccountOverdueError",
                f"The request failed because your account has an overdue balance ({acct.balance} tokens).",
            )
        if acct.balance < cost:
            message = f"Insufficient balance: this task needs {cost} tokens, the key has {acct.balance}."
            raise ApiError(403, "insufficient_balance", message, gateway=True)

    def charge(self, key: str, tokens: int) -> None:
        """Take a succeeded task's tokens from the key's balance."""
        acct = self._stored(key)
        acct.balance -= tokens
        acct.spent += tokens
        if self.durable is not None:
            self.durable.account(key, acct, explicit=key not in self._implicit)

    def update(self, key: str, patch: Any) -> KeyAccount:
        """Apply ``PUT /_mock/keys/{key}`` after checking ``key`` and ``patch`` (400 when either is malformed).
        The key is kept until a reset."""
        check_key_name(key)
        check_key_patch(patch)
        acct = self._stored(key)
        self._implicit.pop(key, None)
        if "balance" in patch:
            acct.balance = int(patch["balance"])
        if "rpm" in patch:
            acct.rpm = None if patch["rpm"] is None else int(patch["rpm"])
            acct.hits.clear()
        if "models" in patch:
            acct.models = None if patch["models"] is None else tuple(patch["models"])
        if "valid" in patch:
            acct.valid = bool(patch["valid"])
        self._allowed.add(key)
        if self.durable is not None:
            self.durable.account(key, acct, explicit=True)
        return acct

    def reset(self) -> None:
        """Forget every account's settings and usage."""
        self._accounts.clear()
        self._implicit.clear()
        if self.durable is not None:
            self.durable.cleared("accounts")

    def restore(self, accounts: list[tuple[str, bool, KeyAccount]]) -> None:
        """Take back the accounts of a state file: (key, set explicitly, account)."""
        for key, explicit, acct in accounts:
            self._accounts[key] = acct
            if explicit:
                self._allowed.add(key)
            else:
                self._implicit[key] = None
