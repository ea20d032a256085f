"""Values the request states that the draft leaves out, while it leaves a field for them unfilled.

The other half of request support: there a value was made up, here a stated one was dropped. A request that
names a movie's actor ("a drama film that features Dan Bittner") answered with `"starring": "any"`, one that
gives a server's nickname 'RSD1' and host answered without either, one that asks to buy tickets for
"the Brockhampton concert" answered by a search with an empty city: schema-valid, confidently decoded,
wrong. Both conditions must hold: a stated value (a proper name, a quoted string, an identifier, a
snake_case name, a host or file name or a URL) the output nowhere carries, and a free-text field the
output leaves absent, empty, null or at its default ("on the provided data my_data" answered with `"data": null`; an
identifier counts as carried or described only as itself, not by its words); or a
number written in digits the output does not carry, and a number field left absent or at its default
("2 tickets", `number_of_tickets` left at 1; not a spelled one: "died after two days" is prose). And a
date for a day the request never states while the day its ask states is missing ("2023.10.2" answered
with "2023-10-20"), whatever else the draft fills: a misread day (`replaced_days`). A
classification that names a city but has no field for it is not flagged. Measured on the 420 calibration
drafts (bench/results/ladder.json): wrong drafts flagged, no right one."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from schemas import Verdict
from services.critic.grounding import same_number
from services.critic.known_words import KnownWords
from services.critic.request_support import words_supported
from services.documents.days import MONTHS, stated_days, value_days
from services.documents.evidence import normalise, percentages, stated_names, stated_numbers, written_numbers
from services.documents.function_menu import ask_and_rest
from services.documents.names import STOPWORDS
from services.documents.segments import join, nodes, object_schema

# Every repetition is bounded, so a hostile prompt (512 KiB of "a.a.a.") costs linear time, not quadratic.
QUOTED = re.compile(r"(?<!\w)'([^'\n]{1,80})'(?!\w)|\"([^\"\n]{1,80})\"")
IDENTIFIER = re.compile(
    r"https?://[^\s'\"]{1,2000}(?<=[\w/])"  # a URL
    r"|\b[\w.+-]{1,64}@[\w-]{1,63}\.\w[\w.]{0,62}\b"  # an email
    r"|\b(?!\d{1,20}(?:\.\d{1,20})?[A-Za-z]{1,8}\b)(?=\w{0,63}[A-Za-z])(?=\w{0,63}\d)\w{3,64}\b"  # letters with
    # digits; not a number with a unit or an ordinal ("13th", "6cm", "10am")
    r"|\b[A-Za-z][A-Za-z0-9]{0,31}(?:_[A-Za-z0-9]{1,32}){1,8}\b"  # snake_case: a variable or file ("my_data")
    r"|\b[A-Za-z0-9][\w-]{1,62}(?:\.[a-z][a-z0-9-]{1,62}){1,8}\b"  # a host or file name ("rds.example.org")
)
MAX_STATED_VALUES = 64  # the first ones checked: a request naming more is a document, and each costs a scan
# "Paris, France" is one place: a name qualifying the next is read with it (and carried with it)
NAME_THEN_NAME = re.compile(r"(\b[A-Z][\w'-]{0,40}),[ \t]{1,8}(?=[A-Z])")
NOT_NAMES = frozenset(  # capitalised at the start of a clause, never a name
    "i'm i'd i'll i've hi hello hey please thanks ok okay yes also so well now then sure great".split()  # noqa: SIM905
)
DAY_WORDS = frozenset(MONTHS) | {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}


def stated_values(prompt: str) -> list[str]:
    """What a request names: quoted strings, identifiers (letters with digits: "efJG9", "RSD1"; not a
    number with its unit or ordinal), URLs and emails, proper names. A capitalised word after a colon
    starts a clause ("calling f: Retrieves the ..."); month and day names are dates, "Hi, I'm" a greeting;
    "Paris, France" one name."""
    quoted = [m.group(1) or m.group(2) for m in QUOTED.finditer(prompt)]
    identifiers = [m.group() for m in IDENTIFIER.finditer(prompt)]
    clauses = re.sub(r":\s+", ". ", prompt)
    names = [_trimmed(n) for n in stated_names(NAME_THEN_NAME.sub(r"\1 ", clauses))]
    return list(dict.fromkeys(v for v in [*quoted, *identifiers, *names] if v.strip()))[:MAX_STATED_VALUES]


def _trimmed(name: str) -> str:
    """The name without the capitalised words before it that are not names: "On Monday" and "March" are
    dates, "Hi, I'm Bob" is "Bob"."""
    words = name.split()
    while words and words[0].lower() in DAY_WORDS | STOPWORDS | NOT_NAMES:
        words.pop(0)
    return " ".join(words)


class _Holder:
    """A text (an output; a schema with its menu) that may hold a stated value: an identifier only as
    itself ("my_data" is not held by a field named "data"), anything else by its words."""

    def __init__(self, text: str) -> None:
        self.text, self.known = text.casefold(), [KnownWords(normalise(text).split())]

    def holds(self, value: str) -> bool:
        return value.casefold() in self.text if IDENTIFIER.fullmatch(value) else words_supported(value, self.known)


def _texts(node: Any) -> Iterator[str]:
    """Every key and scalar of a JSON document (an output, or a schema's names, descriptions, enums)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value)
    elif node is not None and not isinstance(node, bool):
        yield str(node)


def free_text(field: dict[str, Any]) -> bool:
    return field.get("type") in ("string", None) and "enum" not in field and "const" not in field


def free_number(field: dict[str, Any]) -> bool:
    return field.get("type") in ("integer", "number") and "enum" not in field and "const" not in field


FieldKind = Callable[[dict[str, Any]], bool]


def unfilled_fields(output: Any, schema: dict[str, Any], kind: FieldKind = free_text, pointer: str = "") -> list[str]:
    """Pointers of fields of a kind (free text, free numbers) the output leaves absent, empty or at their
    default."""
    if isinstance(output, list):
        return [p for i, item in enumerate(output) for p in unfilled_fields(item, schema, kind, join(pointer, i))]
    if not isinstance(output, dict):
        return []
    found = []
    for name, field in object_schema(schema, pointer, output).get("properties", {}).items():
        if not isinstance(field, dict):
            continue
        if name not in output:
            found += [join(pointer, name)] if kind(field) else []
        elif kind(field) and output[name] in ("", None, field.get("default", ...)):
            found.append(join(pointer, name))
        else:
            found += unfilled_fields(output[name], schema, kind, join(pointer, name))
    return found


def _omitted_days(ask: str, output: Any) -> list[str]:
    """Days the ask states ("on 2023-04-15", "April 25th") that no value of the output holds, as MM-DD."""
    carried = {day for text in _texts(output) for day in value_days(text)}
    return [f"{month:02d}-{day:02d}" for month, day in sorted(stated_days(ask) - carried)]


def replaced_days(output: Any, prompt: str) -> list[tuple[str, str]]:
    """(pointer, value) of dates the output writes for a day the request never states, while a day the ask
    states is nowhere in the output ("2023.10.2" answered with "2023-10-20"): a misread date, not a
    default, whatever else the draft fills."""
    said = stated_days(prompt)
    dated = [(pointer, text, value_days(text)) for pointer, text in nodes(output) if isinstance(text, str)]
    carried = {day for _, _, days in dated for day in days}
    if not stated_days(ask_and_rest(prompt)[0]) - carried:
        return []
    return [(pointer, text) for pointer, text, days in dated if days and not days & said]


def _numbers_in(node: Any) -> set[float]:
    return {n for text in _texts(node) for n in stated_numbers(text)}


@dataclass(frozen=True)
class Omission:
    values: list[str | float]  # stated, not carried
    unfilled: list[str]  # pointers of the fields left for them


def find_omission(output: Any, schema: dict[str, Any], prompt: str) -> Omission:
    """Stated values neither the output nor the schema carries: names, strings and days of the ask when a
    free-text field was left unfilled, numbers when a number field was ("2 tickets" answered with the
    default 1)."""
    text_fields = unfilled_fields(output, schema, free_text)
    number_fields = unfilled_fields(output, schema, free_number)
    omitted: list[str | float] = []
    ask, rest = ask_and_rest(prompt)  # what follows the ask (instructions, a function menu) is its subject
    if text_fields:
        holders = [_Holder(" ".join(_texts(output))), _Holder(" ".join([*_texts(schema), rest]))]  # or the menu
        omitted += [value for value in stated_values(prompt) if not any(h.holds(value) for h in holders)]
        omitted += _omitted_days(ask, output)
    if number_fields:
        carried_numbers = _numbers_in(output) | _numbers_in(schema)
        percents = percentages(prompt)  # "5%" is carried as 0.05 too
        omitted += sorted(
            n
            for n in written_numbers(prompt)
            if not any(same_number(n, c) or (n in percents and same_number(n / 100, c)) for c in carried_numbers)
        )
    return Omission(omitted, text_fields + number_fields)


def omitted_values(output: Any, schema: dict[str, Any], prompt: str) -> list[str | float]:
    return find_omission(output, schema, prompt).values


def request_coverage_verdicts(output: Any, schema: dict[str, Any], prompt: str) -> list[Verdict]:
    """One `semantic` verdict (code `omitted`) for a draft that drops what the request states: refining the
    draft's own fields cannot bring it back (the wrong function, a default chosen over a stated value), so
    the request climbs a tier, or is rejected at the top (critic/decide.py)."""
    verdicts = [
        Verdict(
            pointer=pointer,
            kind="semantic",
            code="omitted",
            message=f"{value!r} is a day the request does not state, and the day it states is not in the output",
        )
        for pointer, value in replaced_days(output, prompt)
    ]
    omission = find_omission(output, schema, prompt)
    if not omission.values:
        return verdicts
    unfilled = omission.unfilled
    where = unfilled[0] if len(unfilled) == 1 else ""
    message = (
        f"the request states {', '.join(map(repr, omission.values[:3]))} but the output does not carry it, "
        f"leaving {', '.join(unfilled[:3])} unfilled: likely the wrong call or a default over a stated value"
    )
    return [*verdicts, Verdict(pointer=where, kind="semantic", code="omitted", message=message)]
