"""JSON Schema validation with format checks, as the critic judges and the refiner's repairs must pass."""

import re
from functools import lru_cache
from typing import Any

import orjson
from jsonschema import FormatChecker
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

FORMAT_CHECKER = FormatChecker()
# jsonschema's own "email" check only looks for an "@"; require local@domain.tld.
EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


@FORMAT_CHECKER.checks("email")
@FORMAT_CHECKER.checks("idn-email")
def _is_email(instance: object) -> bool:
    return not isinstance(instance, str) or EMAIL.fullmatch(instance) is not None


@lru_cache(maxsize=512)
def _validator(schema_json: bytes) -> Validator:
    schema = orjson.loads(schema_json)
    return validator_for(schema)(schema, format_checker=FORMAT_CHECKER)


def validator(schema: dict[str, Any]) -> Validator:
    """A cached validator for `schema` that checks formats (email, date, date-time, uri, …)."""
    return _validator(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS))
