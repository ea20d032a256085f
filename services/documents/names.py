"""What a field or function is about, read from its name: the words that carry its meaning."""

import re

from services.documents.evidence import WORD

# Words with no meaning of their own, in a name, a value or a request.
STOPWORDS = frozenset(
    "a an the of and or in on at to for from with by is it its as be this that my me i you your our we".split()  # noqa: SIM905
)
# Words of a field's name that say how it works, not what it is about ("include_", "has_", "is_").
NAME_GRAMMAR = frozenset(
    "has have is are include includes including allow allowed enable enabled with options option use only show".split()  # noqa: SIM905
)


def name_words(name: str) -> list[str]:
    """What a field is about, from its name: "has_laundry_service" → laundry, service; "avoidTolls" →
    avoid, tolls."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name).replace("_", " ").lower()
    return [w for w in WORD.findall(spaced) if w not in NAME_GRAMMAR | STOPWORDS]
