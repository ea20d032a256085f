"""Choices a request did not make, or made otherwise: the optional values and enum values a model picks.

Request support judges whether a copied value was said at all; here, whether the request asked for the
value there. Two ways a schema-valid, confidently decoded choice goes wrong:
- **unasked**: an optional field the request never asks for, filled with other than its default
  (`has_vegetarian_options: true` for "an Asian Fusion restaurant in Santa Clara"; hotel `preferences`
  of pet_friendly, gym, swimming_pool for "a pet friendly hotel"; `venue: "home"`, a default its
  description suggests, for "who won between the Lakers and Clippers"). The draft should have left it out,
  so the callee's default applies: the refiner drops it (or the array item), no model call.
- **contradicted**: the request names another of the field's options than the one chosen (`route_type:
  "scenic"` for "the fastest route", the options being fastest, scenic, …), names an option an array of
  choices leaves out (`avoid: ["highways"]` for "avoiding highways and toll roads"), or asks for what a
  boolean means while the draft says false (`organic: false` for "the top organic bananas brands").
  Refining the field cannot be trusted to fix a misreading: the request climbs a tier, or is rejected at
  the top.
A boolean's meaning is read from its field's name ("has_laundry_service" → laundry, service), and only
against the request's first line, the ask itself: a function menu or instructions after it name every
option, and would make any choice look contradicted and any boolean asked for (`has_seating_outdoors:
true` for "a coffeehouse in New York", the menu describing restaurants "with outdoor seating"; measured on
the stored drafts the other checks pass, `bench/argument_checks.py`). Judged without a context only, like
request support. Measured on the 420 calibration drafts (README, "Verifier"): 30 contradicted, all wrong."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from schemas import Verdict
from services.critic.grounding import same_number
from services.critic.known_words import KnownWords
from services.critic.request_support import MIN_SHARE, string_supported
from services.documents.days import stated_days
from services.documents.described_values import options
from services.documents.evidence import WORD, normalise, stated_numbers
from services.documents.function_menu import ask_and_rest
from services.documents.names import STOPWORDS, name_words
from services.documents.segments import join, object_schema

# "don't" reads as "don t" once normalised: the stems of the n't contractions stand for them.
CONTRACTED = frozenset("don doesn didn isn aren wasn weren shouldn wouldn couldn mustn".split())  # noqa: SIM905
NEGATIONS = CONTRACTED | frozenset("no not non without dont cannot never neither nor except excluding".split())  # noqa: SIM905
NEGATION_SCOPE = 8  # words after a negation it governs ("don't care about garage or in-unit laundry")
CLAUSE_BREAKS = frozenset("but and however yet while though".split())  # noqa: SIM905 — a negation stops there
BOOLEAN_WORDS = frozenset("true false yes no dontcare any none all".split())  # noqa: SIM905 — enums of a yes/no


@dataclass(frozen=True)
class Field:
    pointer: str
    name: str
    value: Any
    schema: dict[str, Any]
    required: bool


def filled_fields(output: Any, schema: dict[str, Any], pointer: str = "") -> Iterator[Field]:
    """Every property the output fills, at any depth, with its schema and whether its object requires it."""
    if isinstance(output, list):
        for index, item in enumerate(output):
            yield from filled_fields(item, schema, join(pointer, index))
        return
    if not isinstance(output, dict):
        return
    node = object_schema(schema, pointer, output)
    required = set(node.get("required") or [])
    properties = node.get("properties") or {}
    for name, value in output.items():
        field = properties.get(name)
        if isinstance(field, dict):
            yield Field(join(pointer, name), name, value, field, name in required)
        yield from filled_fields(value, schema, join(pointer, name))


def _named(phrase: str, known: KnownWords, every: bool) -> bool:
    """Whether the request names `phrase`: every word of it (`every`), or any."""
    words = [w for w in WORD.findall(phrase.lower()) if w not in STOPWORDS]
    hits = [known.knows(w) for w in words]
    return bool(words) and (all(hits) if every else any(hits))


def _negated(words: list[str], ask: list[str]) -> bool:
    """The ask puts a negation before the field's words in the same clause ("not organic", "without
    tolls", "I don't care about garage or laundry"; not "no pets but a garage")."""
    field = KnownWords(words)
    for at, word in enumerate(ask):
        if not field.knows(word):
            continue
        for before in reversed(ask[max(0, at - NEGATION_SCOPE) : at]):
            if before in CLAUSE_BREAKS:
                break
            if before in NEGATIONS:
                return True
    return False


@dataclass(frozen=True)
class Choice:
    pointer: str
    value: Any
    why: str
    instead: str | None = None  # the call the request names instead, where a menu check knows it


class RequestReading:
    """The request's words, indexed once per draft for every check: all of it, and the ask itself."""

    def __init__(self, prompt: str) -> None:
        self.text = normalise(prompt)
        self.known = KnownWords(self.text.split())
        self.days = stated_days(prompt)
        self.numbers = stated_numbers(prompt)
        self.ask_words = normalise(ask_and_rest(prompt)[0]).split()
        self.ask = KnownWords(self.ask_words)

    def mentions(self, field: Field) -> bool:
        """The ask speaks of the field: a word of its name ("laundry" for `has_laundry_service`)."""
        words = name_words(field.name)
        return bool(words) and any(self.ask.knows(w) for w in words)

    def names(self, option: str, every: bool = False) -> bool:
        return _named(option, self.known, every)

    def states(self, value: str | float) -> bool:
        """A string or number the request states in some form (request_support's rules)."""
        if isinstance(value, str):
            return string_supported(value, [self.text], [self.known], self.days, MIN_SHARE)
        return any(same_number(float(value), n) for n in self.numbers)


def _unasked_value(field: Field, request: RequestReading) -> bool:
    """An optional value the request does not give: a boolean or a yes/no enum of a field it never speaks
    of, an enum value it does not name, a string or number it does not state. Its default too: written
    out unasked it adds nothing the callee would not assume (and function-call checkers such as BFCL's
    count an unasked default as a wrong argument); left out, the default still applies."""
    if field.required:
        return False
    if isinstance(field.value, bool):
        return not request.mentions(field)
    if isinstance(field.value, str | int | float) and "enum" not in field.schema and "const" not in field.schema:
        return not request.states(field.value)
    if isinstance(field.value, str) and "enum" in field.schema:
        if field.value.lower() in BOOLEAN_WORDS:
            return not request.mentions(field)
        return not request.names(field.value)
    return False


def unasked_choices(output: Any, schema: dict[str, Any], request: RequestReading) -> list[Choice]:
    """Optional values the request never asked for, and array items it never gave (`_unasked_item`)."""
    found = []
    for field in filled_fields(output, schema):
        if _unasked_value(field, request):
            found.append(Choice(field.pointer, field.value, "the request does not ask for it"))
        if isinstance(field.value, list):
            found += [
                Choice(join(field.pointer, i), item, "the request does not name it")
                for i, item in enumerate(field.value)
                if _unasked_item(item, field, request)
            ]
    return found


def _unasked_item(item: Any, field: Field, request: RequestReading) -> bool:
    """An enum item the request does not name; in an optional array, a string or number it does not state
    (sizes S, M, L for "a red skirt")."""
    items = field.schema.get("items")
    if not isinstance(items, dict) or isinstance(item, bool) or not isinstance(item, str | int | float):
        return False
    if "enum" in items:
        return isinstance(item, str) and not request.names(item)
    return not field.required and "const" not in items and not request.states(item)


def _left_out_options(field: Field, request: RequestReading) -> list[Choice]:
    """Options of an array of choices the ask names in full that the array leaves out ("avoiding
    highways and toll roads" answered with `avoid: ["highways"]`)."""
    items = field.schema.get("items")
    if not isinstance(field.value, list) or not isinstance(items, dict) or not isinstance(items.get("enum"), list):
        return []
    named = [o for o in items["enum"] if isinstance(o, str) and o not in field.value and _named(o, request.ask, True)]
    return [Choice(field.pointer, field.value, f"the request names {named[0]!r} too")] if named else []


def contradicted_choices(output: Any, schema: dict[str, Any], request: RequestReading) -> list[Choice]:
    """Choices against what the request says: a value it does not name while it names another of the
    field's options (`options`) in full; options of an array the ask names that it leaves out; a boolean
    whose every name word the ask states, false where not negated, true where negated ("it shouldn't be
    unisex")."""
    found = []
    for field in filled_fields(output, schema):
        if isinstance(field.value, str) and not request.names(field.value):
            named = [
                o
                for o in options(field.schema)
                if isinstance(o, str) and o != field.value and request.names(o, every=True)
            ]
            if named:
                found.append(Choice(field.pointer, field.value, f"the request names {named[0]!r}"))
        found += _left_out_options(field, request)
        words = name_words(field.name)
        asked = bool(words) and all(request.ask.knows(w) for w in words)
        if isinstance(field.value, bool) and asked and field.value is _negated(words, request.ask_words):
            asks = "no " if field.value else ""
            found.append(Choice(field.pointer, field.value, f"the request asks for {asks}{' '.join(words)}"))
    return found


def request_choice_verdicts(
    output: Any, schema: dict[str, Any], request: RequestReading, derived: set[str]
) -> list[Verdict]:
    """`grounding` verdicts (code `unasked`: the refiner drops the value) and `semantic` ones (code
    `contradicted`: a tier up), rule-derived fields aside."""
    verdicts = [
        Verdict(pointer=c.pointer, kind="grounding", code="unasked", message=f"{c.value!r}: {c.why}; leave it out")
        for c in unasked_choices(output, schema, request)
    ]
    verdicts += [contradicted_verdict(c) for c in contradicted_choices(output, schema, request)]
    return [v for v in verdicts if v.pointer not in derived]


def contradicted_verdict(choice: Choice) -> Verdict:
    return Verdict(
        pointer=choice.pointer,
        kind="semantic",
        code="contradicted",
        message=f"{choice.value!r}: {choice.why}",
        expected=choice.instead,
    )
