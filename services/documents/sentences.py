"""Sentences of a text: what the grounding check compares and the refiner's prompt quotes."""

import re

SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text) if s.strip()]
