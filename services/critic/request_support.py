"""Values a request without a context gives no basis for.

With no source text, the request itself is the only evidence: a value the model wrote that neither the
request nor the default its field's schema names mentions was made up (an origin airport "JFK", copied
from the field's "such as 'JFK'", for "leaving from Chicago"; an album "The Beatles" the user never named).
A string counts as supported when enough of its words (`min_share`, stop words aside) occur in that
evidence; a number, when the evidence states it.
Enum/const values, booleans and nulls are choices, not claims (grounding.claims).

Numbers are judged separately (`numbers`) because a right answer often converts what was said ("5 ft 10 in"
→ 70, "11 PM" → 23): the critic judges strings only (measured on calibration drafts: unsupported numbers
flagged 9 right medium-tier drafts beside 13 wrong ones)."""

import re
from dataclasses import dataclass
from typing import Any

import orjson

from schemas import Verdict
from services.critic.grounding import claims, same_number
from services.critic.known_words import KnownWords
from services.documents.days import Day, stated_days, value_days
from services.documents.evidence import WORD, date_forms, normalise, stated_numbers
from services.documents.names import STOPWORDS
from services.documents.segments import subschema
from services.documents.standard_codes import code_names
from services.documents.validation import EMAIL


@dataclass(frozen=True)
class Unsupported:
    pointer: str
    value: Any


NAMED_VALUES = re.compile(  # sentences that name the values a field takes: a default, or choices in prose
    r"\b(?:defaults?|use|if not (?:specified|given|provided)|no preference|can be|one of|either|options?"
    r"|possible values|allowed|must be|choose|select)\b",
    re.IGNORECASE,
)


def schema_text(schema: dict[str, Any]) -> str:
    """What a field's schema tells the model to use: its `default`, and the sentences of its description
    that name a default or the choices ("Defaults to 'cm'", "Use 'dontcare' if not specified", "Can be
    'melting', 'freezing'"). Not its examples ("such as 'JFK'"): copying an example is exactly how a value
    gets made up."""
    said = [orjson.dumps(schema["default"]).decode()] if "default" in schema else []
    description = schema.get("description")
    if isinstance(description, str):
        said += [s for s in re.split(r"(?<=[.;])\s+", description) if NAMED_VALUES.search(s)]
    return " ".join(said)


MIN_SHARE = 0.5  # of a string's words (stop words aside) its evidence must know
DIGITS_THEN_LETTERS = re.compile(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)")
MAX_SHORTENED = 40  # characters of a value tried as a shortening of what was said


def shortened(value: str, text: str) -> bool:
    """Whether the value shortens words the text says in order: "24h" for "24 hour", "10min" for "10
    minutes" (each of its parts starts a word, the words in a row)."""
    said = DIGITS_THEN_LETTERS.sub(" ", normalise(value[:MAX_SHORTENED])).split()
    if len(said) < 2:
        return False
    pattern = r"(?<!\w)" + r"\w{0,30}\s{1,5}".join(re.escape(part) for part in said) + r"(?!\d)"
    return re.search(pattern, text) is not None


def is_address(value: str) -> bool:
    """An email address or a URL: an identifier, never made of words a request happens to say."""
    return EMAIL.fullmatch(value) is not None or value.lower().startswith(("http://", "https://"))


def string_supported(
    value: str, evidence: list[str], known: list[KnownWords], days: set[Day], min_share: float
) -> bool:
    """Said in so many words, or in another form: a day in any date format ("15-10-2023" for "15th
    October"), a standard code for a name ("USD" for "US dollars", "LAX" for "Los Angeles"), a shortening
    ("24h" for "24 hour"), or enough of its words (`words_supported`)."""
    if value_days(value) & days:
        return True
    forms = [f" {form} " for form in map(normalise, [value, *date_forms(value)]) if form]
    if any(form in f" {text} " for form in forms for text in evidence):
        return True
    if is_address(value):
        return False  # an email or URL is said in full or not at all: "adriel@example.com" is not "Adriel"
    if any(shortened(value, text) for text in evidence):
        return True
    return any(words_supported(said, known, min_share) for said in [value, *code_names(value)])


def words_supported(value: str, known: list[KnownWords], min_share: float = MIN_SHARE) -> bool:
    """Whether at least `min_share` of the value's words (stop words aside) are known words (`KnownWords`:
    the word, an abbreviation, a form of the same stem) of one of the texts."""
    words = [w for w in WORD.findall(value.lower()) if w not in STOPWORDS]
    if not words:
        return True
    return sum(any(k.knows(w) for k in known) for w in words) / len(words) >= min_share


def unsupported_values(
    output: Any, schema: dict[str, Any], prompt: str, *, min_share: float = MIN_SHARE, numbers: bool = False
) -> list[Unsupported]:
    """Leaf values of `output` that neither `prompt` nor the field's schema supports."""
    found = []
    request_text = normalise(prompt)
    request_words = KnownWords(request_text.split())
    request_numbers = stated_numbers(prompt)
    request_days = stated_days(prompt)
    for pointer, value in claims(output, schema):
        field_text = schema_text(subschema(schema, pointer))
        if isinstance(value, str):
            field = normalise(field_text)
            known = [request_words, KnownWords(field.split())]
            if not string_supported(value, [request_text, field], known, request_days, min_share):
                found.append(Unsupported(pointer, value))
        elif numbers and not any(same_number(float(value), n) for n in request_numbers | stated_numbers(field_text)):
            found.append(Unsupported(pointer, value))
    return found


def request_support_verdicts(output: Any, schema: dict[str, Any], prompt: str, derived: set[str]) -> list[Verdict]:
    """A `grounding` verdict (code `request`) per unsupported value, rule-derived fields aside: the refiner
    drops an optional one and asks the model again for a required one; past the round cap the request
    climbs a tier (critic/decide.py)."""
    return [
        Verdict(
            pointer=found.pointer,
            kind="grounding",
            code="request",
            message=f"{found.value!r} is not in the request; use only what the request states",
        )
        for found in unsupported_values(output, schema, prompt)
        if found.pointer not in derived
    ]
