"""The Harbour & Pine brand voice: a dataset of product cards in one house style, made by this script.

How it was made: products are drawn (seeded, so the file is the same on every machine) from pools of kinds,
materials, features and traits written for a fictional outdoor-goods brand; each product's request is
plain ("Write the product card for …") and its card is written in the house style by template:

- the tagline is three one-word sentences ("Light. Dry. Ready.");
- the description opens with "Meet the <name>.", speaks to the reader ("you"), never exclaims, and signs
  off with "Go further.".

Those five traits are the voice's markers (`voice_markers`): what the adapter must learn and what
bench/adapters.py measures on held-out products, against the base model given the same request. The
first TRAIN products are trained on; the next HELD_OUT are never seen in training.
"""

import random
import re
from dataclasses import dataclass
from typing import Any

SEED = 7
TRAIN = 240
HELD_OUT = 40

KINDS = [
    "rain jacket", "trail shoes", "wool beanie", "camp mug", "daypack", "sleeping bag", "headlamp", "fleece",
    "water bottle", "hiking socks", "two-person tent", "gloves", "flask", "trekking poles", "map case",
    "bivvy bag", "camp stove", "rain trousers", "gaiters", "dry bag", "neck warmer", "camp chair",
]  # fmt: skip
PREFIXES = [
    "Harbour", "Pine", "Ridge", "Tide", "Fjord", "Moor", "Cove", "Larch", "Shale", "Bracken", "Skerry", "Heron",
    "Gorse", "Tarn", "Alder", "Wren",
]  # fmt: skip
MATERIALS = [
    "recycled nylon", "merino wool", "stainless steel", "waxed cotton", "ripstop polyester", "cork",
    "aluminium", "organic cotton", "recycled down", "titanium",
]  # fmt: skip
FEATURES = [
    "taped seams", "a packable hood", "two zip pockets", "a reinforced base", "reflective trim",
    "a magnetic lid", "adjustable straps", "a roll-top closure", "a brushed lining", "a lifetime repair promise",
    "a grippy sole", "a spare battery slot", "a fold-flat frame", "a wide mouth", "a storm flap",
]  # fmt: skip
TRAITS = ["Light", "Warm", "Dry", "Tough", "Quiet", "Bright", "Simple", "Steady", "Honest", "Ready", "Packable"]

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 60},
        "tagline": {"type": "string", "maxLength": 60},
        "description": {"type": "string", "maxLength": 320},
        "price": {"type": "number", "minimum": 0},
    },
    "required": ["name", "tagline", "description", "price"],
    "additionalProperties": False,
}

OPENINGS = [
    "{features} keep you going when the weather turns.",
    "You get {features}, and nothing you will not use.",
    "With {features}, it is ready when you are.",
]
MATERIAL_LINES = [
    "Made from {material}, so you can pack it and forget it.",
    "It is cut from {material} that you can repair, not replace.",
    "{Material} throughout, built for the long way round.",
]


@dataclass(frozen=True)
class Product:
    name: str
    kind: str
    material: str
    features: tuple[str, str]
    traits: tuple[str, str, str]
    price: float

    def request(self) -> str:
        return (
            f"Write the product card for the {self.name} ({self.kind}, {self.material}), with "
            f"{self.features[0]} and {self.features[1]}. Price: £{self.price:.2f}."
        )

    def card(self, rng: random.Random) -> dict[str, Any]:
        features = f"{self.features[0]} and {self.features[1]}"
        opening = rng.choice(OPENINGS).format(features=features)
        material = rng.choice(MATERIAL_LINES).format(material=self.material, Material=self.material.capitalize())
        description = f"Meet the {self.name}. {opening[0].upper()}{opening[1:]} {material} Go further."
        return {
            "name": self.name,
            "tagline": " ".join(f"{t}." for t in self.traits),
            "description": description,
            "price": self.price,
        }


def products(count: int = TRAIN + HELD_OUT, seed: int = SEED) -> list[Product]:
    if count > len(KINDS) * len(PREFIXES):
        raise ValueError(f"only {len(KINDS) * len(PREFIXES)} distinct product names")
    rng = random.Random(seed)
    made, seen = [], set()
    while len(made) < count:
        kind, prefix = rng.choice(KINDS), rng.choice(PREFIXES)
        name = f"{prefix} {kind.title()}"
        if name in seen:
            continue
        seen.add(name)
        made.append(
            Product(
                name=name,
                kind=kind,
                material=rng.choice(MATERIALS),
                features=tuple(rng.sample(FEATURES, 2)),  # type: ignore[arg-type]
                traits=tuple(rng.sample(TRAITS, 3)),  # type: ignore[arg-type]
                price=float(rng.randrange(12, 240)) + rng.choice([0.0, 0.5, 0.99]),
            )
        )
    return made


def examples(seed: int = SEED) -> list[dict[str, Any]]:
    """(request, card) pairs, training products first, then the held-out ones."""
    rng = random.Random(seed + 1)
    return [{"prompt": p.request(), "output": p.card(rng)} for p in products(seed=seed)]


TAGLINE = re.compile(r"^[A-Z][a-z]+\. [A-Z][a-z]+\. [A-Z][a-z]+\.$")


def voice_markers(card: Any) -> dict[str, bool]:
    """Which of the house style's five traits a card shows."""
    tagline = str(card.get("tagline", "")) if isinstance(card, dict) else ""
    description = str(card.get("description", "")) if isinstance(card, dict) else ""
    return {
        "tagline_three_words": bool(TAGLINE.match(tagline.strip())),
        "opens_meet_the": description.startswith("Meet the "),
        "speaks_to_you": bool(re.search(r"\byou\b", description, re.IGNORECASE)),
        "never_exclaims": "!" not in tagline + description,
        "signs_off": description.rstrip().endswith("Go further."),
    }
