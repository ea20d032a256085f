"""Which of the offered calls a draft makes, against what the request asks for.

A schema whose alternatives each hold one named property is a menu (a function call: `{"<name>":
{<arguments>}}`, one branch per function). Picking the wrong one of similar functions is the wrong
acceptance the value checks cannot see: every argument may be stated and valid. The request names a call
when its first line (the ask: the menu itself is listed after it) holds every word of the call's name
("Movies_1_FindMovies": movies, find, movies; digits aside); a draft calling one whose name it does not
hold in full, while it names another in full, is doubted ("Can you find action movies in Sonoma?"
answered with `Movies_1_BuyMovieTickets`). Measured on the calibration drafts and three e2e sets
(bench/results/ladder.json): 17 flagged, all wrong."""

from typing import Any

from schemas import Verdict
from services.critic.known_words import KnownWords
from services.critic.request_choices import Choice, RequestReading, contradicted_verdict, name_words
from services.documents.menus import menu
from services.documents.segments import join


def _share_named(name: str, ask: KnownWords) -> float:
    words = [w for w in name_words(name.replace(".", "_")) if not w.isdigit()]
    return sum(ask.knows(w) for w in words) / len(words) if words else 0.0


def contradicted_call(output: Any, schema: dict[str, Any], request: RequestReading) -> list[Choice]:
    """The call the draft makes, when the ask names another call of the menu in full and not this one."""
    offered = menu(schema)
    if not offered or not isinstance(output, dict) or len(output) != 1:
        return []
    [called] = output
    mine = _share_named(called, request.ask)
    named = [name for name in offered if name != called and _share_named(name, request.ask) == 1.0 > mine]
    return [Choice(join("", called), called, f"the request names the call {named[0]!r}", named[0])] if named else []


def menu_choice_verdicts(output: Any, schema: dict[str, Any], request: RequestReading) -> list[Verdict]:
    """A `semantic` verdict (code `contradicted`: a tier up) for a call the request does not ask for."""
    return [contradicted_verdict(c) for c in contradicted_call(output, schema, request)]
