"""Pick the smallest tier able to do the task.

The first rule: a complexity score in [0, 1] from the request's features, mapped onto the tiers
(ordered smallest first) in equal bands. A forced tier always wins.
"""

from schemas import Classification, GenerationRequest
from services.classifier.features import RequestFeatures, extract_features
from services.classifier.intake import RequestRejected


def complexity(features: RequestFeatures) -> float:
    score = (
        0.15 * min(features.schema_depth / 4, 1)
        + 0.25 * min(features.property_count / 12, 1)
        + 0.20 * min(features.constraint_count / 10, 1)
        + 0.10 * min(features.array_count / 3, 1)
        + 0.10 * min(features.prompt_chars / 2000, 1)
        + 0.10 * min(features.context_chars / 4000, 1)
        + 0.10 * min(features.rule_count / 3, 1)
    )
    return round(min(max(score, 0.0), 1.0), 4)


def route(request: GenerationRequest, tier_names: list[str]) -> tuple[str, Classification]:
    """Return (tier, classification); `tier_names` is ordered smallest first."""
    features = extract_features(request)
    score = complexity(features)
    if request.tier is not None:
        if request.tier not in tier_names:
            raise RequestRejected(
                f"unknown tier {request.tier!r}; known tiers: {', '.join(tier_names)}", request.id, request.metadata
            )
        return request.tier, Classification(complexity=score, reason="tier forced by request", forced=True)
    band = min(int(score * len(tier_names)), len(tier_names) - 1)
    tier = tier_names[band]
    return tier, Classification(complexity=score, reason=f"rule: complexity {score:.2f} → band {band}")
