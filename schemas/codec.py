"""orjson (de)serialisation of the contracts: one place, so every topic speaks the same bytes."""

from typing import TypeVar

import orjson
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def encode(message: BaseModel) -> bytes:
    return orjson.dumps(message.model_dump(mode="json", by_alias=True))


def decode(model: type[M], raw: bytes | str) -> M:
    return model.model_validate(orjson.loads(raw))
