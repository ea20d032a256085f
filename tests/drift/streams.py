"""Result streams for drift tests: a steady part, then a shift (a new schema family on one tier, a degraded
tier forced in on another). Deterministic: acceptance follows the index, outputs a seeded generator."""

import random

from schemas import Ledger, LedgerEntry, Result, ResultStatus
from schemas.critique import Verdict

CITIES = ["Paris", "London", "Tokyo", "Berlin", "Madrid", "Rome", "Oslo", "Lima", "Cairo", "Delhi"]
STEADY, SHIFTED = 60, 30  # results per group before and after the shift


def result(i: int, tier: str, family: str, accepted: bool, rng: random.Random, rounds: int = 0) -> Result:
    if family == "weather":
        output = {"city": rng.choice(CITIES), "unit": rng.choice(["celsius", "fahrenheit"]), "days": rng.randint(1, 7)}
    else:
        output = {"customer": f"Customer {i}", "items": [{"sku": f"A{rng.randint(100, 999)}", "qty": 2}], "total": i}
    return Result(
        id=f"{tier}-{family}-{i}",
        status=ResultStatus.accepted if accepted else ResultStatus.rejected,
        output=output,
        tier=tier,
        rounds=rounds,
        schema_fingerprint=family,
        verdicts=[] if accepted else [Verdict(pointer="", kind="semantic", message="the verifier doubts it")],
        ledger=Ledger(entries=[LedgerEntry(stage="generator", input_tokens=rng.randint(270, 330), output_tokens=30)]),
    )


def steady_part() -> list[Result]:
    rng = random.Random(7)
    rows = []
    for i in range(STEADY):
        rows.append(result(i, "medium", "weather", i % 5 != 0, rng))
        rows.append(result(i, "small", "weather", i % 5 != 0, rng))
    return rows


def shifted_part() -> list[Result]:
    """medium starts seeing invoices besides weather; small is degraded (accepts one in five)."""
    rng = random.Random(8)
    rows = []
    for i in range(STEADY, STEADY + SHIFTED):
        rows.append(result(i, "medium", "weather", i % 5 != 0, rng))
        rows.append(result(i, "medium", "invoice", i % 5 != 0, rng))
        rows.append(result(i, "small", "weather", i % 5 == 0, rng, rounds=2))  # refined in vain
    return rows
