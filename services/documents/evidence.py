"""What a context states, in forms both the critic (checking) and the refiner (fixing) use."""

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from itertools import chain, pairwise
from typing import Any

from services.documents.days import stated_dates
from services.documents.sentences import sentences
from services.documents.validation import validator

# A number on its own: "SH-204" is a name (neither -204 nor 204), "1,200" is 1200.
NUMBER = re.compile(r"(?<![\w.])(?<![A-Za-z]-)(?:[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-+]?\d+(?:\.\d+)?)")
PERCENT = re.compile(r"(" + NUMBER.pattern + r")\s?(?:%|per ?cent\b)", re.IGNORECASE)
WORD = re.compile(r"[a-z0-9]+")
TOKEN = re.compile(r"[\w@.+'/:-]+")  # words, numbers, emails, times, URLs
SPELLED = {
    "zero": 0,
    "once": 1,
    "one": 1,
    "twice": 2,
    "thrice": 3,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "dozen": 12,
    "twenty": 20,
    "hundred": 100,
}
# "the one function", "which one", "no one": a pronoun, not a count of one.
PRONOUN_ONE = re.compile(r"\b(?:the|which|this|that|each|every|any|no|some|someone|anyone)\s+one\b", re.IGNORECASE)
# Dates and clock times state a day and a time, not numbers: "2025-01-20" does not state 1 or 20.
DATE_OR_TIME = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"  # ISO date, date-time
    r"|\b\d{1,2}:\d{2}(?::\d{2})?\b"  # clock time
)
MAX_NGRAM = 6
MAX_CANDIDATES = 400


def normalise(text: str) -> str:
    return " ".join(WORD.findall(text.lower()))


def _value(number: str) -> float:
    """The value of a NUMBER match: "1,200" is 1200."""
    return float(number.replace(",", ""))


def _numbers(context: str) -> list[float]:
    return [_value(m) for m in NUMBER.findall(DATE_OR_TIME.sub(" ", context))]


def as_stated(value: Any) -> Any:
    """A value in the form the context states it: a number, written as a number or a string, is a float."""
    if isinstance(value, str) and (number := NUMBER.fullmatch(value.strip())):
        return _value(number.group())
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def written_numbers(context: str) -> set[float]:
    """Numbers written in digits ("2 tickets", "1,200"), dates and clock times aside."""
    return set(_numbers(context))


def percentages(context: str) -> set[float]:
    """Numbers written as a percentage ("5%", "5 percent"), as written (5.0)."""
    return {_value(m.group(1)) for m in PERCENT.finditer(context)}


def stated_numbers(context: str) -> set[float]:
    """Numbers written in digits or spelled out ("two", "a dozen"); a percentage also as a fraction (0.05)."""
    spelled = {float(v) for w, v in SPELLED.items() if _spelled(w, context)}
    return written_numbers(context) | spelled | {p / 100 for p in percentages(context)}


def _spelled(word: str, context: str) -> list[str]:
    """Where the context spells out a number word (not "one" as a pronoun)."""
    return re.findall(rf"\b{word}\b", PRONOUN_ONE.sub(" ", context) if word == "one" else context, re.IGNORECASE)


def times_stated(context: str, value: Any) -> int:
    """How often the context states a value (at least once: it was found there in some form)."""
    value = as_stated(value)
    if isinstance(value, str):
        return max(1, context.count(value))
    said = sum(n == value for n in _numbers(context))
    spelled = sum(len(_spelled(w, context)) for w, v in SPELLED.items() if v == value)
    return max(1, said + spelled)


def date_forms(value: str) -> list[str]:
    try:
        day = datetime.fromisoformat(value.replace("Z", "+00:00")).date() if "T" in value else date.fromisoformat(value)
    except ValueError:
        return []
    formats = ("%Y-%m-%d", "%d %B %Y", "%B %d, %Y", "%d/%m/%Y", "%m/%d/%Y", "%-d %B %Y", "%B %-d, %Y", "%d %b %Y")
    return [normalise(day.strftime(f)) for f in formats]


def passages(context: str) -> list[str]:
    said = sentences(context)
    return said + [f"{a} {b}" for a, b in pairwise(said)]


def _phrases(context: str) -> Iterator[str]:
    words = TOKEN.findall(context)
    for size in range(1, MAX_NGRAM + 1):
        for start in range(len(words) - size + 1):
            yield " ".join(words[start : start + size]).strip(".,;:'\"")


def grounded_choices(context: str, schema: dict[str, Any]) -> list[Any] | None:
    """Values the context states that the sub-schema allows (formats and patterns included), for fixing or
    constraining a regeneration; None when the segment is not a plain number or string (then the model
    is prompted, not constrained)."""
    kind = schema.get("type")
    if {"enum", "const"} & schema.keys() or kind not in ("number", "integer", "string"):
        return None
    allows = validator(schema).is_valid
    if kind == "string":
        stated: Iterable[Any] = chain(_phrases(context), stated_dates(context) if schema.get("format") else [])
    else:
        stated = (int(n) if kind == "integer" or n.is_integer() else n for n in sorted(stated_numbers(context)))
    choices: dict[Any, None] = {}
    for value in stated:
        if value not in choices and (kind != "string" or value) and allows(value):
            choices[value] = None
            if len(choices) == MAX_CANDIDATES:
                break
    return list(choices) or None


# After the name: a suffix, then a connector ("radius of", "a =") or a label's own words and colon
# ("Total due: 120.00"), then perhaps an article.
CONNECTOR = (
    r"(?:s|ed|d|ing)?(?:(?:\s+[a-z]+){1,2}\s*[:=]\s*|\s*(?:(?:=|:|is|are|was|were|of|as|at|by|equals)\s*)?)"
    r"(?:(?:the|a|an)\s+)?#?"
)
ABBREVIATIONS = {"number": r"(?:number|no\.|nr\.|num\.?|#)"}  # "Invoice No. INV-7"


def _name_words(name: str) -> list[str]:
    return re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", name)


def _word_pattern(word: str) -> str:
    return ABBREVIATIONS.get(word.lower(), re.escape(word))


NAME_PARTICLES = ("de", "van", "von", "of")  # lower-case words a proper name may hold


def proper_name(value: Any) -> bool:
    """ "Captain Ahab", "Hamburg", "Lady Catherine de Bourgh": capitalised words, not a sentence or a number."""
    words = value.split() if isinstance(value, str) else []
    return 0 < len(words) <= 6 and all(w[:1].isupper() or w in NAME_PARTICLES for w in words)


def named_choices(context: str, name: str, choices: list[Any]) -> list[Any]:
    """The choices the context states right after the field's name ("radius of 4", "a=2", "Contact:
    ops@x.example", "tenant Ada Byron rents": the proper name, not the words after it), or a number
    right before it ("30 minutes"; "4800 kg" for weight_kg). Several distinct ones mean the name does not
    settle it."""
    words = _name_words(name)
    if not words:
        return []
    spelled = r"[\s_-]?".join(map(_word_pattern, words))
    label = re.compile(r"(?<![\w])" + spelled + CONNECTOR, re.IGNORECASE)
    named: list[Any] = []
    for match in label.finditer(context):
        after = context[match.end() :]
        number = NUMBER.match(after)
        stated = _value(number.group()) if number else None
        said = [
            choice
            for choice in choices
            if (
                after.startswith(choice) and not after[len(choice) : len(choice) + 1].isalnum()
                if isinstance(choice, str)
                else stated == float(choice)
            )
        ]
        if len(said) > 1 and all(isinstance(c, str) for c in said):  # "Ada", "Ada Byron", "Ada Byron rents"
            names = [c for c in said if proper_name(c)]
            said = [max(names, key=len)] if names else said
        named += [c for c in said if c not in named]
    # "30 minutes" for minutes; a unit ending the name counts alone: "4800 kg" for weight_kg
    after_number = f"(?:{spelled}|{_word_pattern(words[-1])})" if len(words) > 1 else spelled
    unit = re.compile(r"(" + NUMBER.pattern + r")\s*" + after_number + r"(?:s|es)?\b", re.IGNORECASE)
    before = {_value(m.group(1)) for m in unit.finditer(DATE_OR_TIME.sub(" ", context))}
    named += [c for c in choices if not isinstance(c, str) and float(c) in before and c not in named]
    return named


TITLES = {"mr.", "mrs.", "ms.", "dr.", "st.", "prof.", "capt."}
NAME_JOINERS = {*NAME_PARTICLES, "da", "di", "del", "la", "le"}  # inside a run of capitalised words


def stated_names(context: str) -> list[str]:
    """Proper names the context states: maximal runs of capitalised words ("Netherfield Park", "Mrs.
    Long", "Lady Catherine de Bourgh"); not a label ("Contact:") and not one capitalised word that only
    starts a sentence ("Some years ago")."""
    runs: list[tuple[list[str], bool]] = []  # (words, starts a sentence)
    run: list[str] = []
    run_at_start = sentence_start = True
    tokens = list(TOKEN.finditer(context))
    for index, match in enumerate(tokens):
        raw = match.group()
        word = raw.strip(".,;:!?'\"()")
        if word[:1].isupper() or (run and word in NAME_JOINERS):
            if not run:
                run_at_start = sentence_start
            run.append(raw.rstrip(":") if raw.lower().rstrip(":") in TITLES else word)
        elif run:
            runs.append((run, run_at_start))
            run = []
        gap = context[match.end() : tokens[index + 1].start() if index + 1 < len(tokens) else len(context)]
        ends = (raw.endswith((".", "!", "?")) and raw.lower() not in TITLES) or bool(set(gap) & set("!?"))
        if run and (ends or raw.endswith(":") or set(gap) & set(',;\n|()"')):
            if not raw.endswith(":"):  # "Contact:" labels what follows
                runs.append((run, run_at_start))
            run = []
        sentence_start = ends or "\n" in gap
    if run:
        runs.append((run, run_at_start))
    mid_sentence = {w for words, start in runs if not start for w in words}
    names: dict[str, None] = {}
    for words, start in runs:
        while words and words[-1] in NAME_JOINERS:
            words = words[:-1]
        name = " ".join(words)
        if len(name) < 2 or (start and len(words) == 1 and words[0] not in mid_sentence):
            continue
        names[name] = None
    return list(names)
