"""The request streams bench/drift.py sends: steady families (a weather lookup, a contact extraction), a new
family (invoices), every value drawn from a seeded generator so reruns send the same requests."""

import random
from typing import Any

CITIES = ["Paris", "London", "Tokyo", "Berlin", "Madrid", "Rome", "Oslo", "Lima", "Cairo", "Delhi", "Quito", "Seoul"]
NAMES = ["Ada Byron", "Alan Turing", "Grace Hopper", "Edsger Dijkstra", "Barbara Liskov", "Donald Knuth"]
WEATHER = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "maxLength": 40},
        "days": {"type": "integer", "minimum": 1, "maximum": 14},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    "required": ["city", "days", "unit"],
    "additionalProperties": False,
}
CONTACT = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 60},
        "email": {"type": "string", "format": "email"},
        "city": {"type": "string", "maxLength": 40},
    },
    "required": ["name", "email", "city"],
    "additionalProperties": False,
}
INVOICE = {
    "type": "object",
    "properties": {
        "invoice_number": {"type": "string", "maxLength": 20},
        "customer": {"type": "string", "maxLength": 60},
        "total": {"type": "number", "minimum": 0},
        "currency": {"type": "string", "enum": ["EUR", "USD", "GBP"]},
    },
    "required": ["invoice_number", "customer", "total", "currency"],
    "additionalProperties": False,
}


def _request(rid: str, prompt: str, schema: dict[str, Any], context: str | None = None) -> dict[str, Any]:
    request = {"id": rid, "prompt": prompt, "schema": schema, "tier": "medium", "budget": {"max_tokens": 1500}}
    return request | ({"context": context} if context else {})


def weather(rng: random.Random, rid: str) -> dict[str, Any]:
    city, days, unit = rng.choice(CITIES), rng.randint(2, 10), rng.choice(["celsius", "fahrenheit"])
    return _request(rid, f"Give me the {days}-day forecast for {city} in degrees {unit}.", WEATHER)


def contact(rng: random.Random, rid: str) -> dict[str, Any]:
    name, city = rng.choice(NAMES), rng.choice(CITIES)
    email = name.lower().replace(" ", ".") + "@example.org"
    context = f"Hi, I'm {name} from {city}. Write to me at {email} any time."
    return _request(rid, "Extract the sender's name, email address and city.", CONTACT, context)


def invoice(rng: random.Random, rid: str) -> dict[str, Any]:
    number, name = f"INV-{rng.randint(1000, 9999)}", rng.choice(NAMES)
    total, currency = round(rng.uniform(20, 900), 2), rng.choice(["EUR", "USD", "GBP"])
    context = f"Invoice {number}. Billed to {name}. Amount due: {total} {currency}, payable in 30 days."
    return _request(rid, "Extract the invoice number, the customer, the total and its currency.", INVOICE, context)


def stream(kind: str, count: int, seed: int) -> list[dict[str, Any]]:
    """`steady`: weather and contact alternating; `new_family`: invoices."""
    rng = random.Random(seed)
    if kind == "new_family":
        return [invoice(rng, f"drift-{kind}-{i}") for i in range(count)]
    return [(weather if i % 2 == 0 else contact)(rng, f"drift-{kind}-{i}") for i in range(count)]
