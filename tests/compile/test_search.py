"""The prompt optimiser's choice: the most accurate per token, never less accurate than the hand-written."""

from refinery.compile.evaluate import Outcome
from refinery.compile.search import INSTRUCTIONS, compile_prompt, demo_sets
from refinery.compile.tasks import DEMO_POOL, TUNE, UNTUNED, VALIDATE, expected_output, split
from services.inference.prompt_artifact import HANDWRITTEN, GenerationPrompt


def scripted(table: dict[str, tuple[int, int]]):
    """An evaluator that answers from a table: instruction (or demos count) → (right of 10, tokens each)."""

    def evaluate(prompt: GenerationPrompt) -> list[Outcome]:
        right, tokens = table.get(f"demos{len(prompt.demos)}") if prompt.demos else table[prompt.instruction]
        return [Outcome(f"t{i}", i < right, tokens, None) for i in range(10)]

    return evaluate


def test_a_cheaper_but_less_accurate_prompt_is_never_chosen() -> None:
    table = {
        INSTRUCTIONS[0]: (6, 400),
        INSTRUCTIONS[1]: (5, 100),  # far more per token, but less accurate: refused
        INSTRUCTIONS[2]: (6, 380),  # as accurate, cheaper: chosen
        INSTRUCTIONS[3]: (7, 480),  # more accurate, but less per token
        "demos1": (6, 500),
        "demos2": (7, 600),
    }
    pool = split(DEMO_POOL)[:4]
    prompt, tried = compile_prompt("small", scripted(table), pool, "v1", lambda _: None)
    assert prompt.instruction == INSTRUCTIONS[2] and not prompt.demos
    assert prompt.kind == "compiled" and prompt.data_version == "v1"
    assert prompt.dev_score == {
        "tasks": 10,
        "accuracy": 0.6,
        "tokens_per_task": 380.0,
        "handwritten_accuracy": 0.6,
        "handwritten_tokens_per_task": 400.0,
    }
    assert tried[0].prompt == HANDWRITTEN and len(tried) == 1 + 3 + 3


def test_a_winner_that_loses_on_the_validation_slice_is_not_kept() -> None:
    tuned = {instruction: (6, 400) for instruction in INSTRUCTIONS} | {"demos1": (6, 500), "demos2": (6, 600)}
    tuned[INSTRUCTIONS[2]] = (6, 380)  # wins on tuning
    held = dict(tuned) | {INSTRUCTIONS[0]: (7, 400), INSTRUCTIONS[2]: (6, 380)}  # loses on validation
    pool = split(DEMO_POOL)[:4]
    prompt, _ = compile_prompt("large", scripted(tuned), pool, "v1", lambda _: None, validate=scripted(held))
    assert prompt.content_hash == HANDWRITTEN.content_hash
    held[INSTRUCTIONS[0]] = (6, 400)  # as accurate there: the cheaper winner stands
    prompt, _ = compile_prompt("large", scripted(tuned), pool, "v1", lambda _: None, validate=scripted(held))
    assert prompt.instruction == INSTRUCTIONS[2]


def test_when_nothing_beats_it_the_compiled_prompt_is_the_handwritten_one() -> None:
    table = {instruction: (6, 400) for instruction in INSTRUCTIONS} | {"demos1": (6, 500), "demos2": (6, 600)}
    prompt, _ = compile_prompt("large", scripted(table), split(DEMO_POOL)[:4], "v1", lambda _: None)
    assert prompt.content_hash == HANDWRITTEN.content_hash


def test_the_splits_are_disjoint_and_demos_carry_the_answers() -> None:
    ids = [{r.id for r in split(s)} for s in (DEMO_POOL, TUNE, VALIDATE, UNTUNED)]
    assert all(ids) and sum(len(i) for i in ids) == len(set().union(*ids))  # pairwise disjoint
    for demos in demo_sets(split(DEMO_POOL)):
        for demo in demos:
            assert demo.output  # the ground truth's first accepted values, optional ones left out
    live = next(r for r in split(TUNE) if r.metadata["category"] == "live_multiple")
    [(function, _)] = live.metadata["ground_truth"][0].items()
    assert list(expected_output(live)) == [function]
