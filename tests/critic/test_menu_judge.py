"""The menu judge: which offered function the ask reads as, by MiniLM (the real encoder), against the call
a draft makes (kinds of wrong picks the large tier made on BFCL, rewritten)."""

import pytest

from schemas import Draft, GenerationRequest
from services.critic.menu_judge import MenuJudge, load_menu_judge
from services.critic.review import review
from services.critic.validators import check_draft
from services.documents.function_menu import offered_functions
from services.inference.encoder import SentenceEncoder
from tests.conftest import make_request

FUNCTIONS = {
    "list_reviewers": "Lists the reviewers who know a given programming language.",
    "reviewer_feedback.get": "Returns the ratings and written feedback left for a named reviewer.",
    "weather.now": "Current weather conditions for a city.",
}


def offering(names: list[str], described: dict[str, str] | None = None) -> dict:
    def branch(name: str) -> dict:
        arguments = {"type": "object", "properties": {"name": {"type": "string"}}}
        described_branch = {"description": described[name]} if described and name in described else {}
        return {"type": "object", "properties": {name: arguments}, "required": [name], **described_branch}

    return {"anyOf": [branch(n) for n in names]}


SCHEMA = offering(list(FUNCTIONS))
LISTED = "\n".join(f"- {n}: {d}" for n, d in FUNCTIONS.items())
PROMPT = f"What ratings and feedback has the reviewer Dana Kim been given?\nCall one function. Functions:\n{LISTED}"


@pytest.fixture(scope="module")
def judge() -> MenuJudge:
    return MenuJudge(SentenceEncoder(threads=2), margin=0.2)


def test_the_functions_descriptions_come_from_the_schema_or_the_prompts_menu_lines() -> None:
    assert offered_functions(SCHEMA, PROMPT) == FUNCTIONS
    described = offering(list(FUNCTIONS), {"weather.now": "Says if it rains."})
    assert offered_functions(described, PROMPT)["weather.now"] == "Says if it rains."
    assert offered_functions(SCHEMA, "Who reviews Go code?\n- list_reviewers: Lists them.") is None  # not every one
    assert offered_functions({"type": "object"}, PROMPT) is None


def test_a_similar_function_the_ask_does_not_mean_is_doubted(judge: MenuJudge) -> None:
    wrong = {"list_reviewers": {"name": "Dana Kim"}}
    [verdict] = judge.verdicts(wrong, SCHEMA, PROMPT)
    assert (verdict.pointer, verdict.kind, verdict.code) == ("/list_reviewers", "semantic", "contradicted")
    assert "'reviewer_feedback.get'" in verdict.message
    assert judge.verdicts({"reviewer_feedback.get": {"name": "Dana Kim"}}, SCHEMA, PROMPT) == []


def test_a_call_is_doubted_only_past_the_margin(judge: MenuJudge) -> None:
    scores = judge.scores(PROMPT.partition("\n")[0], FUNCTIONS)
    gap = scores["reviewer_feedback.get"] - scores["list_reviewers"]
    assert gap > 0.2
    wider = MenuJudge(judge.encoder, margin=gap + 0.01)
    assert wider.verdicts({"list_reviewers": {}}, SCHEMA, PROMPT) == []


def test_what_is_not_one_offered_call_is_left_to_the_schema_checks(judge: MenuJudge) -> None:
    assert judge.verdicts({}, SCHEMA, PROMPT) == []
    assert judge.verdicts({"delete_everything": {}}, SCHEMA, PROMPT) == []
    assert judge.verdicts(["list_reviewers"], SCHEMA, PROMPT) == []


def test_the_critic_judges_a_menu_call_with_the_encoder_and_says_so_on_the_ledger(judge: MenuJudge) -> None:
    request = GenerationRequest.model_validate(make_request(prompt=PROMPT, schema=SCHEMA))
    draft = Draft(request=request, tier="large", received_at_ms=0, output={"list_reviewers": {"name": "Dana Kim"}})
    assert check_draft(draft) == []  # the words alone see nothing wrong
    assert [v.code for v in check_draft(draft, menu_judge=judge)] == ["contradicted"]
    checked = review(draft, None, max_rounds=2, menu_judge=judge)
    assert checked.decision.result is not None and checked.decision.result.status == "rejected"  # no tier above
    assert checked.draft.ledger.entries[-1].model == "validators+all-MiniLM-L6-v2-int8"


def test_the_judge_is_a_setting_that_switches_off() -> None:
    assert load_menu_judge(None) is None


def test_the_judge_reads_only_a_described_menu_without_a_context(judge: MenuJudge) -> None:
    request = GenerationRequest.model_validate(make_request(prompt=PROMPT, schema=SCHEMA))
    assert judge.judges(request)
    assert not judge.judges(request.model_copy(update={"context": "Dana Kim reviewed three pull requests."}))
    assert not judge.judges(request.model_copy(update={"prompt": "Who reviews Go code?"}))  # no descriptions
