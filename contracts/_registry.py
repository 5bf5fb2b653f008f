"""The JSON Schema registry: every contract loaded once, keyed by ``$id``, validators compiled once.

A contract's *name* is its file name under ``schemas/`` without ``.json`` (``ark.create_task.request``);
its ``$id`` is ``https://seedance-mock.dev/contracts/<name>.json``, so ``$ref`` between files works by
relative name (``"$ref": "common.json#/$defs/seed"``).
"""

from __future__ import annotations

import heapq
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators
from jsonschema.exceptions import best_match, relevance
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = ["ID_PREFIX", "Violation", "is_valid", "names", "registry", "schema", "validator", "violations"]

ID_PREFIX = "https://seedance-mock.dev/contracts/"


@cache
def _schemas() -> dict[str, dict[str, Any]]:
    folder = resources.files(__package__).joinpath("schemas")
    loaded: dict[str, dict[str, Any]] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            loaded[entry.name[: -len(".json")]] = json.loads(entry.read_text("utf-8"))
    return loaded


def names() -> tuple[str, ...]:
    """Every contract name, sorted."""
    return tuple(_schemas())


def schema(name: str) -> dict[str, Any]:
    """The raw schema document called ``name``; KeyError when there is none."""
    return _schemas()[name]


@cache
def registry() -> Registry:
    """One ``referencing.Registry`` holding every contract under its ``$id``."""
    resources_ = [
        (doc.get("$id", ID_PREFIX + name + ".json"), Resource.from_contents(doc, DRAFT202012))
        for name, doc in _schemas().items()
    ]
    return Registry().with_resources(resources_).crawl()


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    # JSON Schema patterns are ECMA-262: "$" is the end of the string. Python's re.search also lets "$" match
    # before a trailing newline ("1766663633\n" would pass "^[0-9]+$"); \Z is Python's end of string.
    if isinstance(instance, str) and not re.search(_END.sub(r"\\Z", pattern), instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_END = re.compile(r"(?<!\\)\$")  # an unescaped "$"
# extend() makes a new class that behaves like Draft202012Validator without subclassing it: the protocol types it.
_Validator: type[Validator] = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})


@cache
def validator(name: str) -> Validator:
    """The compiled draft 2020-12 validator (with format checking) for contract ``name``."""
    return _Validator(schema(name), registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)


@dataclass(frozen=True)
class Violation:
    """One way an instance breaks a contract, named the way upstream names it.

    ``param`` is the offending field as a path (``duration``, ``content[1].image_url.url``); ``kind`` is
    ``missing`` (a required field is absent), ``unsupported`` (a field that may not be sent) or
    ``invalid`` (a field with a value outside what is accepted).
    """

    param: str
    kind: str
    message: str


def _path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _leaf(error: ValidationError) -> ValidationError:
    # oneOf / anyOf report only "not valid under any of the given schemas"; the best sub-error says why.
    return best_match([error]) or error


def _hints(*errors: ValidationError) -> dict[str, Any]:
    # A schema may say how upstream would name, classify and word its refusal: "x-param", "x-kind"
    # (missing | unsupported | invalid) and "x-message", next to the keyword that fails. The leaf's hints
    # win over those of the anyOf / oneOf around it.
    found: dict[str, Any] = {}
    for error in errors:
        if isinstance(error.schema, dict):
            found.update({k: v for k, v in error.schema.items() if k.startswith("x-")})
    return found


def _to_violation(error: ValidationError) -> Violation:
    leaf = _leaf(error)
    hints = _hints(error, leaf)
    violation = _named(leaf, hints.get("x-param"))
    return Violation(
        violation.param,
        str(hints.get("x-kind", violation.kind)),
        str(hints.get("x-message", violation.message)),
    )


def _named(error: ValidationError, param_hint: Any) -> Violation:
    where = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict) and isinstance(error.validator_value, list):
        # jsonschema reports one error per missing property, its message led by that property's repr.
        missing = [p for p in error.validator_value if p not in error.instance]
        name = next((p for p in missing if error.message.startswith(repr(p))), missing[0] if missing else "")
        return Violation(_path([*where, name]) if name else _path(where), "missing", error.message)
    if error.validator in ("additionalProperties", "unevaluatedProperties", "not") and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {})) if isinstance(error.schema, dict) else set()
        extra = sorted(k for k in error.instance if k not in allowed)
        if error.validator != "not" and extra:
            return Violation(_path([*where, extra[0]]), "unsupported", error.message)
    if error.validator == "false" or error.schema is False:
        return Violation(_path(where), "unsupported", f"{_path(where)} is not accepted here")
    if param_hint:
        return Violation(str(param_hint), "invalid", error.message)
    return Violation(_path(where), "invalid", error.message)


@cache
def _fast_check(name: str) -> Callable[[Any], bool]:
    """A yes/no check of contract ``name``: jsonschema-rs when installed, else the Python validator.

    Pure-Python validation of a create body costs about 2 ms, most of a create request; jsonschema-rs
    answers yes/no in microseconds. Only that verdict comes from it: the violations of a refused body
    (param, kind, wording) always come from the Python validator, and a test keeps the two in agreement.
    """
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - a platform without its wheel
        return validator(name).is_valid
    docs = _schemas()
    fast_registry = jsonschema_rs.Registry([(doc.get("$id", ID_PREFIX + n + ".json"), doc) for n, doc in docs.items()])
    return jsonschema_rs.Draft202012Validator(docs[name], registry=fast_registry, validate_formats=True).is_valid


# Keywords whose value is a schema, a list of schemas, or a map of names to schemas (draft 2020-12): where
# _inlined looks for "$ref". Every other keyword's value is data (const, enum, x-message…) and is kept as it is.
_ONE_SCHEMA = frozenset(
    {"items", "contains", "not", "if", "then", "else", "additionalProperties", "unevaluatedProperties",
     "unevaluatedItems", "propertyNames", "contentSchema"}
)  # fmt: skip
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "dependentSchemas"})
#: Deeper than any contract nests: a "$ref" cycle (a recursive schema) cannot be inlined.
_INLINE_DEPTH = 64


class _NotInlinable(Exception):
    pass


def _inlined(node: Any, resolver: Any, depth: int = 0, *, looked_up: bool = False) -> Any:
    """``node`` with every ``$ref`` replaced by the schema it names (itself inlined): ``{"$ref": x}`` becomes
    that schema, a ``$ref`` beside other keywords becomes ``"allOf": [that schema]`` in its place. For the
    validator errors come out of the same keywords, in the same order, as through the reference (draft
    2020-12 applies ``$ref`` in place, like ``allOf``), and the ``$defs`` and ``$id`` it no longer needs are
    dropped. ``looked_up``: ``node`` is what a reference named (its ``$id``, if any, is ``resolver``'s base)."""
    if not isinstance(node, dict):
        return node  # true / false
    if depth > _INLINE_DEPTH or ("$ref" in node and "allOf" in node) or (depth and not looked_up and "$id" in node):
        raise _NotInlinable  # a cycle, or an embedded resource: listed through the references instead
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref":
            found = resolver.lookup(value)
            out["allOf"] = [_inlined(found.contents, found.resolver, depth + 1, looked_up=True)]
        elif key == "$defs" or (key == "$id" and depth):
            continue
        elif key in _ONE_SCHEMA:
            out[key] = _inlined(value, resolver, depth + 1)
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [_inlined(item, resolver, depth + 1) for item in value]
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _inlined(item, resolver, depth + 1) for name, item in value.items()}
        else:
            out[key] = value
    if len(node) == 1 and "$ref" in node:
        return out["allOf"][0]
    return out


#: Item checks by subschema (kept with it, so its id is never reused): see _item_check.
_ITEM_CHECKS: dict[int, tuple[Any, Callable[[Any], bool]]] = {}


def _item_check(subschema: Any) -> Callable[[Any], bool]:
    """A yes/no check of one array item against ``subschema`` (a part of an inlined contract: no ``$ref``):
    jsonschema-rs when installed, else the Python validator."""
    found = _ITEM_CHECKS.get(id(subschema))
    if found is None:
        if isinstance(subschema, bool):
            check: Callable[[Any], bool] = (lambda _: True) if subschema else (lambda _: False)
        else:
            try:
                import jsonschema_rs

                check = jsonschema_rs.Draft202012Validator(subschema, validate_formats=True).is_valid
            except ImportError:  # pragma: no cover - a platform without its wheel
                check = _Validator(subschema, format_checker=Draft202012Validator.FORMAT_CHECKER).is_valid
        found = _ITEM_CHECKS[id(subschema)] = (subschema, check)
    return found[1]


_ITEMS = Draft202012Validator.VALIDATORS["items"]
_ADDITIONAL = Draft202012Validator.VALIDATORS["additionalProperties"]
#: At most this many refused items of one array, or refused unknown fields of one object, are walked for their
#: errors: those the relevance order puts first (the last items, the greatest names). Past it the others are
#: not listed: a body of 8 000 zeros in ``content`` took 1.5 s to list, every one "not of type 'object'".
_LISTED = 100


def _items(validator: Any, items: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    """``items``, where only an item the fast check refuses is walked for its errors (one that passes it has
    none: the two validators agree, tests/contracts/test_fast_path.py), at most :data:`_LISTED` of them."""
    if items is False or not isinstance(instance, list):
        yield from _ITEMS(validator, items, instance, schema)
        return
    check = _item_check(items)
    refused = [i for i in range(len(schema.get("prefixItems", [])), len(instance)) if not check(instance[i])]
    for index in refused[-_LISTED:]:
        yield from validator.descend(instance=instance[index], schema=items, path=index)


def _additional_properties(validator: Any, extra: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    """``additionalProperties`` with a schema: as :func:`_items`, for the fields the contract does not name."""
    if not isinstance(extra, dict) or not isinstance(instance, dict) or "patternProperties" in schema:
        yield from _ADDITIONAL(validator, extra, instance, schema)
        return
    named = schema.get("properties", {})
    check = _item_check(extra)
    refused = [name for name, value in instance.items() if name not in named and not check(value)]
    for name in heapq.nlargest(_LISTED, refused) if len(refused) > _LISTED else refused:
        yield from validator.descend(instance[name], extra, path=name)


def _contains(validator: Any, contains: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    """jsonschema's ``contains`` (its counting, its messages), each item judged by the fast check."""
    if not isinstance(instance, list):
        return
    matches = 0
    min_contains = schema.get("minContains", 1)
    max_contains = schema.get("maxContains", len(instance))
    check = _item_check(contains)
    for each in instance:
        if check(each):
            matches += 1
            if matches > max_contains:
                yield ValidationError(
                    f"Too many items match the given schema (expected at most {max_contains})",
                    validator="maxContains",
                    validator_value=max_contains,
                )
                return
    if matches < min_contains:
        if not matches:
            yield ValidationError(f"{instance!r} does not contain items matching the given schema")
        else:
            yield ValidationError(
                f"Too few items match the given schema (expected at least {min_contains} but only {matches} matched)",
                validator="minContains",
                validator_value=min_contains,
            )


# What lists the refusals: items, contains and additionalProperties judge each item (field) with the fast check
# first, and walk at most _LISTED refused ones. In Python a refused Ark create's per-item rules (22 "contains"
# over its content) cost ~0.5 ms an item: a 350 kB body of 10 000 content items held the event loop for 16 s
# (0.14 s now), 50 000 unknown fields for 2.5 s (21 ms now).
_ListingValidator: type[Validator] = validators.extend(
    _Validator, {"items": _items, "contains": _contains, "additionalProperties": _additional_properties}
)


@cache
def _listing_validator(name: str) -> Validator:
    """The Python validator :func:`violations` lists a refused instance's errors with: contract ``name`` with
    its references inlined. Following a ``$ref`` costs the ``referencing`` library a lookup and a URL join
    each time: a refused create body took ~2.7 ms, inlined ~1.7 ms, with the very same violations (tests
    compare the two on generated bodies). A contract that cannot be inlined is listed through
    :func:`validator`."""
    doc = schema(name)
    try:
        flat = _inlined(doc, registry().resolver(doc.get("$id", ID_PREFIX + name + ".json")))
    except _NotInlinable:
        return validator(name)
    return _ListingValidator(flat, registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)


#: Refused instances whose JSON is at most this long are remembered (see violations).
_REMEMBERED_CHARS = 16_384


def violations(name: str, instance: Any) -> list[Violation]:
    """Every way ``instance`` breaks contract ``name``, most relevant first; empty when it conforms. Of one
    array's refused items, and of one object's unnamed fields, at most 100 are looked into (see _LISTED).

    Listing the violations takes the Python validator, ~1.2 ms for a refused create body (the per-model rules),
    where the yes/no costs microseconds. The same refused body is often judged more than once: by the client
    and by the mock it then reaches, by a retry. The last 256 small refused bodies are remembered by their exact
    JSON text (key order, ``1`` vs ``1.0`` vs ``true`` and lone surrogates all kept apart)."""
    if _fast_check(name)(instance):
        return []
    try:
        text = json.dumps(instance, allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        text = None
    if text is not None and len(text) <= _REMEMBERED_CHARS:
        return list(_remembered(name, text))
    return _violations(name, instance)


@lru_cache(maxsize=256)
def _remembered(name: str, text: str) -> tuple[Violation, ...]:
    return tuple(_violations(name, json.loads(text)))


def _violations(name: str, instance: Any, judge: Validator | None = None) -> list[Violation]:
    """What :func:`violations` lists, through ``judge`` (default: :func:`_listing_validator`)."""
    errors = sorted((judge or _listing_validator(name)).iter_errors(instance), key=relevance, reverse=True)
    found = [_to_violation(e) for e in errors]
    # The two validators are tested to agree; should they ever not, a refusal must still be a refusal.
    return found or [Violation("", "invalid", f"the body does not conform to {name}")]


def is_valid(name: str, instance: Any) -> bool:
    """Whether ``instance`` conforms to contract ``name``."""
    return _fast_check(name)(instance)
