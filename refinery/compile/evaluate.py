"""Score one generation prompt on one tier: each task's first draft (the generator alone, no critic, no
refinement), right or wrong against the BFCL answer, and what it cost in tokens. Outcomes are appended to a
cache keyed by prompt version, tier and task, so an interrupted compile resumes and nothing is run twice."""

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

from schemas import ClassifiedRequest, GenerationRequest
from services.documents.bfcl import read_jsonl, task_correct
from services.generator.drafting import REQUEST_FAILURES, first_draft
from services.inference.engines.base import Engine
from services.inference.prompt_artifact import GenerationPrompt
from services.inference.tiers import Tier


@dataclass(frozen=True)
class Outcome:
    task: str
    correct: bool
    tokens: int  # prompt + output, as charged
    min_logprob: float | None  # the verifier's signal, to see what a prompt does to its calibration


@dataclass(frozen=True)
class Score:
    tasks: int
    accuracy: float
    tokens_per_task: float

    @property
    def per_1k_tokens(self) -> float:
        return 1000 * self.accuracy / self.tokens_per_task if self.tokens_per_task else 0.0


def score(outcomes: list[Outcome]) -> Score:
    n = len(outcomes)
    return Score(n, sum(o.correct for o in outcomes) / n, sum(o.tokens for o in outcomes) / n)


def draft_outcome(request: GenerationRequest, engine: Engine, tier: Tier) -> Outcome:
    """A prompt that does not fit the tier's window (long demonstrations) or a schema the decoder refuses
    is a wrong answer at no token cost: the generator answers such a request with an error."""
    message = ClassifiedRequest(
        request=request,
        tier=tier.name,
        received_at_ms=int(time.time() * 1000),
        classification={"complexity": 0, "reason": "compile"},
    )
    try:
        draft = first_draft(message, engine, tier)
    except REQUEST_FAILURES:
        return Outcome(request.id, False, 0, None)
    output = getattr(draft, "output", None)
    confidence = getattr(draft, "confidence", None)
    return Outcome(
        request.id,
        bool(task_correct(request.metadata, output)),
        draft.ledger.tokens,
        confidence.min_logprob if confidence is not None else None,
    )


class OutcomeCache:
    """One JSON line per (prompt content, tier, task): a compiled prompt equal to the hand-written one is
    not run twice."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.known: dict[tuple[str, str, str], Outcome] = {}
        if path.exists():
            for row in read_jsonl(path):
                key = (row.pop("version").rsplit("-", 1)[-1], row.pop("tier"), row["task"])  # kind-hash or hash
                self.known[key] = Outcome(**row)

    def evaluate(
        self, engine: Engine, tier: Tier, prompt: GenerationPrompt, requests: list[GenerationRequest]
    ) -> list[Outcome]:
        prompted = tier.model_copy(update={"prompt": prompt})
        outcomes = []
        for request in requests:
            key = (prompt.content_hash, tier.name, request.id)
            if key not in self.known:
                self.known[key] = draft_outcome(request, engine, prompted)
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("ab") as out:
                    out.write(orjson.dumps({"version": key[0], "tier": key[1], **asdict(self.known[key])}) + b"\n")
            outcomes.append(self.known[key])
        return outcomes
