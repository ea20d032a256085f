"""The critic's semantic check: does the draft do what the request asks? Judged from the drafting model's
own confidence in its picks (log-probabilities decoding computed anyway: zero extra tokens), against a
threshold per tier calibrated on outcomes with known answers (bench/ladder.py).

Its own confidence is a signal, not its opinion: asking a model whether its output is right is the
self-correction trap. A draft below its tier's threshold fails as `semantic` and is escalated a tier up
(critic/decide.py) instead of refined by the model that was unsure."""

from dataclasses import dataclass

from schemas import Draft, Verdict
from services.inference.tiers import Tier


@dataclass(frozen=True)
class ConfidenceVerifier:
    min_logprob: dict[str, float]  # per tier: a draft whose least confident pick is below this is doubted

    @classmethod
    def for_tiers(cls, tiers: dict[str, Tier]) -> "ConfidenceVerifier":
        return cls({t.name: t.verify_min_logprob for t in tiers.values() if t.verify_min_logprob is not None})

    def judges(self, draft: Draft) -> bool:
        """Only a tier's own first draft of a request without a context: refinement patches are checked
        deterministically, and with a context the grounding checks judge what the output claims (the
        thresholds were calibrated on requests without one), and never a creative request (many answers are
        right: the model's doubt among them is no sign of a wrong one)."""
        return draft.tier in self.min_logprob and draft.round == 0 and draft.request.answered_by_request

    def check(self, draft: Draft) -> list[Verdict]:
        """A `semantic` verdict for a judged draft its model was unsure of (see `judges`)."""
        if not self.judges(draft) or draft.confidence is None:
            return []
        threshold = self.min_logprob[draft.tier]
        if draft.confidence.min_logprob >= threshold:
            return []
        where = draft.confidence.least_pointer or ""
        message = (
            f"the {draft.tier} tier was unsure of its own answer (least confident pick, in {where or 'the output'}: "
            f"log P {draft.confidence.min_logprob:.2f} < {threshold:.2f}): likely wrong"
        )
        return [Verdict(pointer=where, kind="semantic", code="confidence", message=message)]
