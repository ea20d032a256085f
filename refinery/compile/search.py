"""The prompt optimiser: a deterministic search over instructions and few-shot demonstrations per tier,
scored by accuracy per 1k tokens on the tuning tasks, never accepting a candidate less accurate than the
hand-written prompt there.

Why not DSPy's optimisers: a DSPy program has one output signature, while every Refinery request carries its
own JSON Schema that the decoder enforces token by token (llguidance); DSPy's adapters would ask the model to
format fields itself and parse them afterwards. MIPROv2 and GEPA also need a capable proposer model to write
instructions, and here the largest model is the 1.5B tier on two cores. So the compiler keeps DSPy's recipe
(labelled demonstrations from dev data, instruction candidates, selection on a metric over a dev split,
evaluation on a split it never saw) and drives the tiers exactly as the generator does.

Search (coordinate ascent, two steps, each candidate scored once and cached):
1. instructions, with no demonstrations;
2. demonstration sets (one or two short solved tasks, with or without their schema) under the best
   instruction of step 1.
Then the winner faces the hand-written prompt on a validation slice: if it is less accurate there, the
hand-written text is kept (a tuning split of 20 tasks picks noise too; measured: the large tier's winner
lost 70 % → 65 % on unseen tasks before this check existed).
"""

from collections.abc import Callable
from dataclasses import dataclass

from refinery.compile.evaluate import Outcome, Score, score
from refinery.compile.tasks import expected_output
from schemas import GenerationRequest
from services.inference.prompt_artifact import HANDWRITTEN, Demo, GenerationPrompt

INSTRUCTIONS = (
    HANDWRITTEN.instruction,
    "Reply with the JSON the request asks for. Copy each value exactly as the request states it, and leave "
    "out optional fields the request does not mention.",
    "Output JSON matching the schema. Take every value from the request; omit optional parameters it does not give.",
    "JSON only. Values from the request, verbatim; no defaults, no guesses.",
)


@dataclass(frozen=True)
class Candidate:
    prompt: GenerationPrompt
    score: Score


Evaluate = Callable[[GenerationPrompt], list[Outcome]]


def demo_of(request: GenerationRequest, with_schema: bool) -> Demo:
    return Demo(
        prompt=request.prompt,
        json_schema=request.json_schema if with_schema else None,
        output=expected_output(request),
    )


def demo_sets(pool: list[GenerationRequest]) -> list[tuple[Demo, ...]]:
    """The shortest solved task of each category (short demonstrations cost the fewest tokens): alone, both
    without their schemas, both with them."""
    by_category: dict[str, GenerationRequest] = {}
    for request in sorted(pool, key=lambda r: (len(r.prompt) + len(str(r.json_schema)), r.id)):
        by_category.setdefault(request.metadata["category"], request)
    shortest = list(by_category.values())
    return [
        (demo_of(shortest[0], False),),
        tuple(demo_of(r, False) for r in shortest),
        tuple(demo_of(r, True) for r in shortest),
    ]


def better(candidate: Candidate, best: Candidate, floor: float) -> bool:
    """Higher accuracy per 1k tokens, at no less accuracy than the hand-written prompt (`floor`)."""
    if candidate.score.accuracy < floor:
        return False
    return (candidate.score.per_1k_tokens, candidate.score.accuracy) > (best.score.per_1k_tokens, best.score.accuracy)


def compile_prompt(
    tier: str,
    evaluate: Evaluate,
    pool: list[GenerationRequest],
    data_version: str,
    log: Callable[[str], None],
    validate: Evaluate | None = None,
) -> tuple[GenerationPrompt, list[Candidate]]:
    """The best prompt found for `tier` and every candidate tried, in order (the first is the hand-written)."""
    tried: list[Candidate] = []

    def trial(prompt: GenerationPrompt) -> Candidate:
        candidate = Candidate(prompt, score(evaluate(prompt)))
        tried.append(candidate)
        s = candidate.score
        log(f"{tier} {prompt.version}: accuracy {s.accuracy:.3f}, {s.tokens_per_task:.0f} tokens/task")
        return candidate

    baseline = best = trial(HANDWRITTEN)
    floor = baseline.score.accuracy
    for instruction in INSTRUCTIONS[1:]:
        candidate = trial(GenerationPrompt(kind="compiled", tier=tier, instruction=instruction))
        best = candidate if better(candidate, best, floor) else best
    for demos in demo_sets(pool):
        prompt = GenerationPrompt(kind="compiled", tier=tier, instruction=best.prompt.instruction, demos=demos)
        candidate = trial(prompt)
        best = candidate if better(candidate, best, floor) else best
    if validate is not None and best is not baseline:
        kept, challenger = score(validate(HANDWRITTEN)).accuracy, score(validate(best.prompt)).accuracy
        log(f"{tier} validation: hand-written {kept:.3f}, {best.prompt.version} {challenger:.3f}")
        best = baseline if challenger < kept else best
    final = best.prompt.model_copy(
        update={
            "kind": "compiled",
            "tier": tier,
            "dev_score": {
                "tasks": best.score.tasks,
                "accuracy": round(best.score.accuracy, 4),
                "tokens_per_task": round(best.score.tokens_per_task, 1),
                "handwritten_accuracy": round(floor, 4),
                "handwritten_tokens_per_task": round(baseline.score.tokens_per_task, 1),
            },
            "data_version": data_version,
        }
    )
    return final, tried
