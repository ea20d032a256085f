"""Optional fields the ask speaks of that the draft leaves out.

The unasked check leaves out what the request never mentions; this is its mirror. A draft that omits an
optional field while the ask (the prompt's first line) holds every word that field's name alone has
("The Ace is considered 1" without `ace_value`, "a radius of 5 units" without `unit`, "toll roads
avoided" without `avoid_tolls`) has dropped part of the request, and no value check sees an absent
field. One word of several is not enough: "500 lbs of trash in a year" does not ask for
`flights_per_year`. Words of the lines after the ask (the function's name and description, a
menu) are its subject, not a value asked for, and do not count ("Fetch all records" and `fetch_limit`
of a function described as fetching).

A field is asked for too when the ask names one of its options (its enum, or the values its description
quotes) in whole words, other than its default or a "no preference" ("sizes M and L" without `sizes`,
"vegan food" without `dietary_preference: ["Vegan"]`); whole words, because a stem is not an option
("price" does not name 'pricey', nor "music" 'Musical').

The verdict is `schema`/`asked` at the absent field, so the refiner generates just that value; it is
given once, on a tier's first draft: what the model then writes (or the other checks then drop) is
judged like any value, so a field the ask only mentions in passing cannot loop the rounds. Measured on
the 563 accepted outputs of calibration (before these checks) and the e2e runs: 6 flagged, all wrong."""

import re
from dataclasses import dataclass
from typing import Any

from schemas import Verdict
from services.critic.known_words import KnownWords
from services.documents.described_values import options
from services.documents.evidence import normalise
from services.documents.function_menu import ask_and_rest
from services.documents.names import STOPWORDS, name_words
from services.documents.segments import join, object_schema

MIN_WORD = 3  # "a", "of", "id" name nothing
# Words of a field's name that say its role, not its subject: `ace_value` is about the ace.
ROLE_WORDS = frozenset("value values type kind mode level number count name format flag status".split())  # noqa: SIM905
NO_PREFERENCE = frozenset("dontcare any none all null".split())  # noqa: SIM905 — options that ask for nothing


@dataclass(frozen=True)
class AskText:
    """The ask as written, its words, and their forms."""

    text: str
    words: frozenset[str]
    known: KnownWords


def _says(word: str, ask: AskText) -> bool:
    """A word of an option in the ask, as itself or its plural; a one-letter option ("M", a size) only
    standing alone as written, so that "I'm" does not name it."""
    if len(word) == 1:
        return re.search(rf"(?<![\w']){re.escape(word)}(?![\w'])", ask.text, re.IGNORECASE) is not None
    return word in ask.words or f"{word}s" in ask.words or f"{word}es" in ask.words


def _option_named(field: dict[str, Any], ask: AskText) -> bool:
    """The ask names one of the field's options (of its items, for an array), other than its default."""
    items = field.get("items")
    choices = options(field) or (options(items) if isinstance(items, dict) else [])
    for option in choices:
        if not isinstance(option, str) or option == field.get("default") or option.lower() in NO_PREFERENCE:
            continue
        words = [w for w in normalise(option).split() if w not in STOPWORDS]
        if words and all(_says(w, ask) for w in words):
            return True
    return False


def _asked_absent(
    output: Any, schema: dict[str, Any], ask: AskText, subject: set[str], pointer: str, by_options: bool
) -> list[str]:
    if not isinstance(output, dict):
        return []
    node = object_schema(schema, pointer, output)
    properties = node.get("properties") or {}
    required = set(node.get("required") or [])
    found = [
        p
        for key, value in output.items()
        for p in _asked_absent(value, schema, ask, subject, join(pointer, key), by_options)
    ]
    for name, field in properties.items():
        if name in output or name in required or not isinstance(field, dict):
            continue
        siblings = {w for other in properties if other != name for w in name_words(other)}
        own = [w for w in name_words(name) if len(w) >= MIN_WORD and w not in siblings | subject | ROLE_WORDS]
        if (own and all(ask.known.knows(w) for w in own)) or (by_options and _option_named(field, ask)):
            found.append(join(pointer, name))
    return found


def asked_left_out(output: Any, schema: dict[str, Any], prompt: str, by_options: bool = True) -> list[str]:
    """Pointers of optional fields the output leaves out while the ask names them by a word of their own,
    or (`by_options`) names one of their options."""
    ask, rest = ask_and_rest(prompt)
    subject = set(normalise(rest).split())
    words = normalise(ask).split()
    return _asked_absent(output, schema, AskText(ask, frozenset(words), KnownWords(words)), subject, "", by_options)


def asked_field_verdicts(output: Any, schema: dict[str, Any], prompt: str) -> list[Verdict]:
    """A `schema` verdict (code `asked`: the refiner fills it) per optional field the ask names but the
    output leaves out."""
    return [
        Verdict(
            pointer=pointer,
            kind="schema",
            code="asked",
            message=f"{pointer.rsplit('/', 1)[-1]!r} is left out, but the request speaks of it: give its value",
        )
        for pointer in asked_left_out(output, schema, prompt)
    ]
