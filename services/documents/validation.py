"""JSON Schema validation with format checks, as the critic judges and the refiner's repairs must pass."""

import re
from collections.abc import Iterator
from fractions import Fraction
from functools import cache, lru_cache
from typing import Any
from urllib.parse import quote

import orjson
from jsonschema import FormatChecker, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend, validator_for
from rfc3986_validator import validate_rfc3986

from services.documents import patterns

FORMAT_CHECKER = FormatChecker()
# jsonschema's own "email" check only looks for an "@"; require local@domain.tld.
EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


@FORMAT_CHECKER.checks("email")
@FORMAT_CHECKER.checks("idn-email")
def _is_email(instance: object) -> bool:
    return not isinstance(instance, str) or EMAIL.fullmatch(instance) is not None


def _as_uri(iri: str) -> str:
    """RFC 3987 §3.1: an IRI maps to a URI by percent-encoding the UTF-8 of each non-ASCII character."""
    return "".join(c if c.isascii() else quote(c, safe="") for c in iri)


@FORMAT_CHECKER.checks("iri")
def _is_iri(instance: object) -> bool:
    return not isinstance(instance, str) or validate_rfc3986(_as_uri(instance), rule="URI") is not None


@FORMAT_CHECKER.checks("iri-reference")
def _is_iri_reference(instance: object) -> bool:
    return not isinstance(instance, str) or validate_rfc3986(_as_uri(instance), rule="URI_reference") is not None


def _multiple_of(validator: Validator, step: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    """`multipleOf` on the decimal numbers JSON writes: 10000.89 is a multiple of 0.01, which jsonschema's
    float division (1000088.9999…) denies."""
    if not validator.is_type(instance, "number") or not isinstance(step, int | float):
        return
    if (Fraction(repr(instance)) / Fraction(repr(step))).denominator != 1:
        yield ValidationError(f"{instance!r} is not a multiple of {step}")


def _pattern(validator: Validator, pattern: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    """`pattern` on RE2 (linear time): a request's regex cannot stall the critic (ReDoS)."""
    if validator.is_type(instance, "string") and isinstance(pattern, str) and not patterns.search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Validator, by_pattern: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object") or not isinstance(by_pattern, dict):
        return
    for pattern, subschema in by_pattern.items():
        for key, value in instance.items():
            if patterns.search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


@cache
def _with_decimal_multiples(cls: type[Validator]) -> type[Validator]:
    """The draft's own validator with exact decimal `multipleOf` and RE2 patterns."""
    return extend(cls, {"multipleOf": _multiple_of, "pattern": _pattern, "patternProperties": _pattern_properties})


@lru_cache(maxsize=512)
def _validator(schema_json: bytes) -> Validator:
    schema = orjson.loads(schema_json)
    return _with_decimal_multiples(validator_for(schema))(schema, format_checker=FORMAT_CHECKER)


def validator(schema: dict[str, Any]) -> Validator:
    """A cached validator for `schema` that checks formats (email, date, date-time, uri, …) and decimal
    multiples exactly."""
    return _validator(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS))
