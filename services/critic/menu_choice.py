"""Which of the offered calls a draft makes, against what the request asks for.

A schema whose alternatives each hold one named property is a menu (a function call: `{"<name>":
{<arguments>}}`, one branch per function). Picking the wrong one of similar functions is the wrong
acceptance the value checks cannot see: every argument may be stated and valid. The request names a call
when its first line (the ask: the menu itself is listed after it) holds every word of the call's name
("Movies_1_FindMovies": movies, find, movies; digits aside); a draft calling one whose name it does not
hold in full, while it names another in full, is doubted ("Can you find action movies in Sonoma?"
answered with `Movies_1_BuyMovieTickets`). Measured on the calibration drafts and three e2e sets
(bench/results/ladder.json): 17 flagged, all wrong.

Or the ask states, word for word, an option of two or more words that only another call takes, which the
draft neither carries nor could ("send $50 to Margaret using my debit card" answered with
`Payment_1_RequestPayment`, which has no payment method; `Payment_1_MakePayment` offers "debit card"). A
one-word option is often the task's topic, not a choice ("a haircut": a salon search, not a booking).
Chosen on the fresh e2e rows: 3 wrong accepts flagged, no right one; none of the calibration drafts."""

from typing import Any

from schemas import Verdict
from services.critic.known_words import KnownWords
from services.critic.request_choices import Choice, RequestReading, contradicted_verdict
from services.documents.evidence import normalise
from services.documents.menus import call_branch, made_call, menu
from services.documents.names import name_words
from services.documents.schema_walk import walk
from services.documents.segments import join, nodes


def _share_named(name: str, ask: KnownWords) -> float:
    words = [w for w in name_words(name.replace(".", "_")) if not w.isdigit()]
    return sum(ask.knows(w) for w in words) / len(words) if words else 0.0


def contradicted_call(output: Any, schema: dict[str, Any], request: RequestReading) -> list[Choice]:
    """The call the draft makes, when the ask names another call of the menu in full and not this one."""
    called = made_call(schema, output)
    if called is None:
        return []
    offered = menu(schema)
    mine = _share_named(called, request.ask)
    named = [name for name in offered if name != called and _share_named(name, request.ask) == 1.0 > mine]
    return [Choice(join("", called), called, f"the request names the call {named[0]!r}", named[0])] if named else []


def _phrase_options(branch: dict[str, Any] | None) -> set[str]:
    """The enum options of two or more words anywhere in a call's schema, casefolded."""
    found = (o for _, node, _ in walk(branch) for o in node.get("enum") or [] if isinstance(o, str))
    return {o.casefold() for o in found if len(o.split()) > 1}


def _said_in_ask(phrase: str, request: RequestReading) -> bool:
    words, ask = normalise(phrase).split(), request.ask_words
    return bool(words) and any(ask[i : i + len(words)] == words for i in range(len(ask) - len(words) + 1))


def option_of_another_call(output: Any, schema: dict[str, Any], request: RequestReading) -> list[Choice]:
    """The call the draft makes, when the ask states an option of two or more words that only another call
    offers, and the draft neither carries it nor offers it."""
    called = made_call(schema, output)
    if called is None:
        return []
    offered = menu(schema)
    carried = {v.casefold() for _, v in nodes(output) if isinstance(v, str)} | _phrase_options(
        call_branch(schema, called)
    )
    for name in (n for n in offered if n != called):
        stated = sorted(o for o in _phrase_options(call_branch(schema, name)) - carried if _said_in_ask(o, request))
        if stated:
            why = f"the request asks for {stated[0]!r}, an option of {name!r}"
            return [Choice(join("", called), called, why, name)]
    return []


def menu_choice_verdicts(output: Any, schema: dict[str, Any], request: RequestReading) -> list[Verdict]:
    """A `semantic` verdict (code `contradicted`: a tier up, toward the call meant) for a call the request
    does not ask for."""
    doubted = contradicted_call(output, schema, request) or option_of_another_call(output, schema, request)
    return [contradicted_verdict(c) for c in doubted]
