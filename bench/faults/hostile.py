# ruff: noqa: E501 -- a table of cases, one per line
"""Generated hostile inputs for the fuzz campaign: every kind the issue names, seeded, each with the
answer it must get (an error record; an `error` Result too when it carries a usable id)."""

import random
from collections.abc import Iterator
from dataclasses import dataclass

import orjson

Headers = list[tuple[str, bytes | None]]


@dataclass(frozen=True)
class Case:
    kind: str
    key: str
    payload: bytes | None
    headers: Headers
    request_id: str | None  # the id the error record (and Result) must carry; None: too broken for one
    wants_result: bool


def _request(request_id: str, **fields: object) -> dict[str, object]:
    request = {
        "id": request_id,
        "prompt": "Name a colour.",
        "schema": {"type": "object", "properties": {"colour": {"type": "string"}}, "required": ["colour"]},
        "budget": {"max_tokens": 300},
        "tier": "small",
    }
    return request | fields


def _nested(levels: int, leaf: bytes = b'{"type": "string"}') -> bytes:
    return b'{"type": "object", "properties": {"a": ' * levels + leaf + b"}}" * levels


def _with(request: dict[str, object], placeholder_value: bytes) -> bytes:
    return orjson.dumps(request).replace(b'"HERE"', placeholder_value)


def _kinds(rng: random.Random, rid: str, ref_url: str) -> dict[str, tuple[bytes | None, Headers, bool]]:
    """kind → (payload, headers, carries a usable id)."""
    return {
        "invalid_json": (b'{"id": "' + rid.encode() + b'", "prompt": ', [], False),
        "invalid_utf8": (b'{"id": "x\xff\xfe", "prompt": "\xc3"}', [], False),
        "not_an_object": (orjson.dumps([rid, rng.random()]), [], False),
        "empty": (b"", [], False),
        "tombstone": (None, [], False),
        "wrong_types": (orjson.dumps(_request(rid, budget={"max_tokens": str(rng.randint(1, 999))})), [], True),
        "bool_budget": (orjson.dumps(_request(rid, budget={"max_tokens": True})), [], True),
        "missing_field": (orjson.dumps({k: v for k, v in _request(rid).items() if k != "prompt"}), [], True),
        "blank_prompt": (orjson.dumps(_request(rid, prompt=rng.choice(["\u200b", " \n\t", "\u2060\u200d"]))), [], True),
        "oversize": (orjson.dumps(_request(rid, context="x" * (600 * 1024))), [], True),
        "deep_schema": (_with(_request(rid, schema={"$defs": {"d": "HERE"}}), _nested(rng.randint(60, 400))), [], True),
        "deep_metadata": (_with(_request(rid, metadata={"m": "HERE"}), b"[" * 300 + b"]" * 300), [], True),
        "invalid_schema": (orjson.dumps(_request(rid, schema={"type": "strin", "minLength": -1})), [], True),
        "unsatisfiable": (orjson.dumps(_request(rid, schema={"type": "string", "minLength": 9, "maxLength": 2})), [], True),
        "recursive_ref": (orjson.dumps(_request(rid, schema={"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}})), [], True),
        "remote_ref": (orjson.dumps(_request(rid, schema={"$ref": f"{ref_url}/{rid}.json"})), [], True),
        "redos_pattern": (orjson.dumps(_request(rid, schema={"type": "string", "pattern": "^(a+)+(?=b)$"})), [], True),
        "huge_repeat": (orjson.dumps(_request(rid, schema={"type": "string", "pattern": f"^x{{{rng.randint(1001, 10**6)}}}$"})), [], True),
        "huge_enum": (orjson.dumps(_request(rid, schema={"enum": list(range(rng.randint(2001, 20000)))})), [], True),
        "oneof_explosion": (orjson.dumps(_request(rid, schema={"oneOf": [{"const": i} for i in range(rng.randint(501, 3000))]})), [], True),
        "hostile_rule": (orjson.dumps(_request(rid, rules=[rng.choice(["__import__('os').system('id')", "round(a, -99999999) == 0", "a." + "b" * 600, "().__class__ == 1", "lambda: 1"])])), [], True),
        "unknown_tier": (orjson.dumps(_request(rid, tier="gigantic")), [], True),
        "extra_field": (orjson.dumps(_request(rid, callback_url="http://127.0.0.1:9/steal")), [], True),
        "bad_header": (orjson.dumps(_request(rid, budget={"max_tokens": 0})), [("traceparent", b"\xff\xfe\xfd"), ("x-null", None)], True),
    }  # fmt: skip


REMOTE = "remote_ref"


def hostile_cases(count: int, seed: int, ref_url: str, run: str) -> Iterator[Case]:
    """`count` cases cycling through every kind; ids unique per `run` so reruns never collide."""
    rng = random.Random(seed)
    names = list(_kinds(rng, "probe", ref_url))
    for index in range(count):
        kind = names[index % len(names)]
        rid = f"{run}-h{index}"
        payload, headers, carries_id = _kinds(rng, rid, ref_url)[kind]
        # a remote $ref resolves to nothing here, so it must be refused as an unresolvable reference
        yield Case(kind, rid, payload, headers, rid if carries_id else None, carries_id)


def duplicate_cases(run: str, count: int) -> Iterator[tuple[Case, Case]]:
    """A valid request and then another payload under the same id: the second gets an error record only."""
    for index in range(count):
        rid = f"{run}-dup{index}"
        first = Case("duplicate_first", rid, orjson.dumps(_request(rid)), [], rid, True)
        second = Case("duplicate_id", rid, orjson.dumps(_request(rid, prompt="Another task.")), [], rid, False)
        yield first, second
