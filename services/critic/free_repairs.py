"""A draft as the refiner's free round would leave it: the repairs that need no model made, and judged
again. Used wherever a draft's own outcome is wanted without spending a token (calibration records,
the second opinion's comparison)."""

from typing import Any

from schemas import Critique, Draft, Verdict
from services.critic.menu_judge import MenuJudge
from services.critic.validators import check_draft
from services.documents.no_model_repairs import deterministic_repairs


def free_repairs(
    draft: Draft, failing: list[Verdict], menu_judge: MenuJudge | None = None
) -> tuple[Any, list[Verdict]]:
    """The output and its failing verdicts once the refiner has made the repairs that need no model (it
    leaves out what the request did not ask for or state, drops looping items): a round that costs no
    token, so still the tier's own outcome. A semantic doubt climbs a tier instead, and a draft those
    repairs do not settle stays as it was."""
    if not failing or any(v.kind == "semantic" for v in failing):
        return draft.output, failing
    repaired, remaining = deterministic_repairs(Critique(**dict(draft), verdicts=failing))
    repaired_draft = draft.model_copy(update={"output": repaired})
    after = [v for v in check_draft(repaired_draft, menu_judge=menu_judge) if v.severity == "error"]
    return (repaired, []) if not remaining and not after else (draft.output, failing)
