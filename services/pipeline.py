"""The whole loop in one process: route → generate → check → refine or escalate, until the critic decides.

The same step functions the Kafka stages run (classifier `Router.classify`, generator `first_draft`, critic
`review`, refiner `refine`), composed without the broker: the benches, calibration and tests run this
one definition, so what they measure is what the services do."""

from collections.abc import Callable
from dataclasses import dataclass, field

from schemas import Classification, ClassifiedRequest, Critique, Draft, GenerationRequest, Result, ResultStatus, Verdict
from services.classifier.router import Router, carrying_tier
from services.critic.decide import Escalation
from services.critic.grounding import GroundingChecker
from services.critic.menu_judge import MenuJudge
from services.critic.review import review
from services.critic.second_opinion import SecondOpinionPolicy
from services.critic.verifier import ConfidenceVerifier
from services.generator.drafting import REQUEST_FAILURES, failure_reason, first_draft
from services.inference.engines import EnginePool
from services.inference.menu_shortlist import MenuShortlist
from services.inference.tiers import adapters_by_tier
from services.refiner.rounds import REFINE_FAILURES, refine_on
from services.refiner.rounds import failure_reason as refine_failure

RefineHook = Callable[[Critique, Draft], None]  # sees each refinement round (the benches count its tokens)


@dataclass(frozen=True)
class Run:
    result: Result
    first_draft: Draft | None = None  # the first tier's draft, before any refinement
    first_verdicts: list[Verdict] = field(default_factory=list)  # the critic's verdicts on it


@dataclass
class Pipeline:
    engines: EnginePool
    grounding: GroundingChecker | None = None
    max_rounds: int = 2
    router: Router | None = None  # None: every request goes to its forced tier, else the first tier
    refiner_tier: str = ""  # empty: a draft is refined on its own tier
    verifier: ConfidenceVerifier | None = None
    escalation: Escalation | None = None
    menu_judge: MenuJudge | None = None
    second_opinion: SecondOpinionPolicy | None = None
    menu_shortlist: MenuShortlist | None = None  # a long menu is drafted from the calls the ask can mean

    def classify(self, request: GenerationRequest, received_at_ms: int = 0) -> ClassifiedRequest:
        if self.router is not None:
            return self.router.classify([request], received_at_ms)[0]
        tiers = self.engines.tiers
        tier = request.tier or carrying_tier(list(tiers), adapters_by_tier(tiers), request.adapter, 0)
        forced = Classification(complexity=0, reason="tier given to the pipeline", forced=True)
        return ClassifiedRequest(request=request, tier=tier, received_at_ms=received_at_ms, classification=forced)

    def _draft(self, message: ClassifiedRequest) -> Draft | Result:
        try:
            engine = self.engines.get(message.tier, message.request.adapter)
            return first_draft(message, engine, self.engines.tiers[message.tier], self.menu_shortlist)
        except REQUEST_FAILURES as exc:
            return message.result(ResultStatus.error, error=f"generator: {failure_reason(exc)}")

    def run(self, request: GenerationRequest, on_refined: RefineHook | None = None) -> Run:
        outcome = self._draft(self.classify(request))
        if isinstance(outcome, Result):
            return Run(outcome)
        first, draft, first_verdicts = outcome, outcome, None
        while True:
            checked = review(
                draft,
                self.grounding,
                self.max_rounds,
                self.verifier,
                self.escalation,
                self.menu_judge,
                self.second_opinion,
            )
            first_verdicts = checked.verdicts if first_verdicts is None else first_verdicts
            decision = checked.decision
            if decision.result is not None:
                return Run(decision.result, first, first_verdicts)
            if decision.escalate is not None:
                outcome = self._draft(decision.escalate)
                if isinstance(outcome, Result):
                    return Run(outcome, first, first_verdicts)
                draft = outcome
                continue
            critique = decision.critique
            try:
                draft = refine_on(self.engines, critique, self.refiner_tier)
            except REFINE_FAILURES as exc:
                result = critique.result(ResultStatus.error, error=f"refiner: {refine_failure(exc)}")
                return Run(result, first, first_verdicts)
            if on_refined is not None:
                on_refined(critique, draft)
