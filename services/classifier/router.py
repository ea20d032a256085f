"""Pick the smallest tier able to do the task, for a batch of requests at once.

The ONNX model predicts, per request, P(pass) on every tier; the policy (`model.choose`) weighs those
against the tiers' costs with one knob, `cost_weight` (REFINERY_ROUTER_COST_WEIGHT). A request's forced
`tier` always wins.
"""

import time
from collections.abc import Collection, Mapping, Sequence

import orjson

from schemas import Classification, ClassifiedRequest, GenerationRequest, Ledger, LedgerEntry
from services.classifier.features import feature_matrix
from services.classifier.intake import RequestRejected
from services.classifier.model import RouterModel, choose


def carrying_tier(tiers: Sequence[str], adapters: Mapping[str, Collection[str]], adapter: str | None, pick: int) -> str:
    """The tier to run on: the pick, or for an adapter the smallest tier from the pick up that carries it
    (else the largest that does; none does: the pick, whose engine refuses the unknown adapter)."""
    carriers = [i for i, tier in enumerate(tiers) if adapter in adapters.get(tier, ())]
    if not carriers:
        return tiers[pick]
    above = [i for i in carriers if i >= pick]
    return tiers[above[0] if above else carriers[-1]]


def check_forced_tier(request: GenerationRequest, tier_names: Sequence[str]) -> None:
    if request.tier is not None and request.tier not in tier_names:
        raise RequestRejected(
            f"unknown tier {request.tier!r}; known tiers: {', '.join(tier_names)}", request.id, request.metadata
        )


def check_adapter(request: GenerationRequest, adapters: dict[str, frozenset[str]]) -> None:
    """A named adapter must be carried by some tier, and by the forced tier when one is forced."""
    if request.adapter is None:
        return
    carriers = [tier for tier, names in adapters.items() if request.adapter in names]
    known = sorted({name for names in adapters.values() for name in names})
    if not carriers:
        raise RequestRejected(
            f"unknown adapter {request.adapter!r}; known adapters: {', '.join(known) or 'none'}",
            request.id,
            request.metadata,
        )
    if request.tier is not None and request.tier not in carriers:
        raise RequestRejected(
            f"tier {request.tier!r} does not carry adapter {request.adapter!r} (carried by: {', '.join(carriers)})",
            request.id,
            request.metadata,
        )


CHARS_PER_TOKEN = 3  # a cautious estimate for prompts with JSON: real tokenizers give 3.5-4.5


def _request_chars(request: GenerationRequest) -> int:
    return len(request.prompt) + len(request.context or "") + len(orjson.dumps(request.json_schema))


def estimated_tokens(request: GenerationRequest) -> int:
    """Prompt tokens, roughly, before any tokenizer is at hand (system turn and template included)."""
    return _request_chars(request) // CHARS_PER_TOKEN + 64


def typical_draft_tokens(request: GenerationRequest) -> int:
    """What one whole draft (prompt and answer) usually costs: on the 140 calibration tasks the Qwen tiers
    spent chars / 4.2 + 57 tokens (this estimate is within -18 %..+22 % of every one of them)."""
    return _request_chars(request) // 4 + 60


class Router:
    def __init__(
        self,
        model: RouterModel,
        cost_weight: float,
        room: dict[str, int] | None = None,
        adapters: dict[str, frozenset[str]] | None = None,
    ) -> None:
        """`room`: per tier, the prompt tokens its context window holds beside its answer (None: any).
        `adapters`: per tier, the adapters it carries."""
        self.model = model
        self.cost_weight = cost_weight
        self.room = room or {}
        self.adapters = adapters or {}
        self.version = f"router-onnx:{model.path.name}"

    def holds(self, request: GenerationRequest, index: int) -> bool:
        """Whether the tier's context window holds the request (unknown windows hold anything)."""
        need = estimated_tokens(request)
        return self.room.get(self.tiers[index], need) >= need

    def fitting(self, request: GenerationRequest, pick: int) -> int:
        """The picked tier, or the next larger one whose context window holds the request."""
        fits = (index for index in range(pick, len(self.tiers)) if self.holds(request, index))
        return next(fits, pick)  # none does: the generator refuses it with the numbers

    def one_draft_only(self, request: GenerationRequest, pick: int) -> bool:
        """Whether the budget pays for the pick's draft but not for one more a tier up: then a cascade
        cannot climb, and since every tier spends the same tokens on a draft, the top tier's draft is the
        one worth them. Not where a cost ceiling is set (the producer capped the price, not the tokens), nor
        for an adapter (its tier is pinned: it never climbs)."""
        budget = request.budget
        top = len(self.tiers) - 1
        if pick >= top or budget.max_cost is not None or request.adapter is not None:
            return False
        return budget.max_tokens < 2 * typical_draft_tokens(request) and self.holds(request, top)

    def carrier(self, adapter: str | None, pick: int) -> str:
        return carrying_tier(self.tiers, self.adapters, adapter, pick)

    @property
    def tiers(self) -> list[str]:
        return self.model.tiers

    def route(self, requests: Sequence[GenerationRequest]) -> list[tuple[str, Classification]]:
        """One (tier, classification) per request, from one batched model call. Forced tiers must be valid
        (see `check_forced_tier`)."""
        if not requests:
            return []
        probabilities = self.model.predict(feature_matrix(requests))
        picks = choose(probabilities, self.model.costs, self.cost_weight)
        routed = []
        for request, row, pick in zip(requests, probabilities, picks, strict=True):
            p_pass = {tier: round(float(p), 4) for tier, p in zip(self.tiers, row, strict=True)}
            shown = " ".join(f"{t} {p:.2f}" for t, p in p_pass.items())
            complexity = round(1.0 - p_pass[self.tiers[0]], 4)
            if request.tier is not None:
                tier, reason, forced = request.tier, "tier forced by request", True
            else:
                fits = self.fitting(request, int(pick))
                tier, forced = self.tiers[fits], False
                reason = f"P(pass) {shown}; cost weight {self.cost_weight} → {tier}"
                if fits != pick:
                    reason += f" ({self.tiers[int(pick)]}'s context window cannot hold it)"
                if self.one_draft_only(request, fits):
                    fits = len(self.tiers) - 1
                    reason += f"; the budget pays for one draft, not a climb → {self.tiers[fits]}"
                    tier = self.tiers[fits]
                carrier = self.carrier(request.adapter, fits)
                if carrier != tier:
                    tier, reason = carrier, f"{reason}; adapter {request.adapter!r} is carried by {carrier}"
            classification = Classification(
                complexity=complexity, reason=reason, forced=forced, pass_probability=p_pass
            )
            routed.append((tier, classification))
        return routed

    def classify(self, requests: Sequence[GenerationRequest], received_at_ms: int) -> list[ClassifiedRequest]:
        """`route`, as the messages for the generators: each with the classifier's share of the call on its
        ledger."""
        started = time.perf_counter()
        routes = self.route(requests)  # one model call
        per_request_ms = round((time.perf_counter() - started) * 1000 / max(len(requests), 1), 3)
        entry = LedgerEntry(stage="classifier", model=self.version, duration_ms=per_request_ms)
        return [
            ClassifiedRequest(
                request=request,
                tier=tier,
                ledger=Ledger().add(entry),
                received_at_ms=received_at_ms,
                classification=classification,
            )
            for request, (tier, classification) in zip(requests, routes, strict=True)
        ]
