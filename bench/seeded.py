"""Context-grounded extraction tasks with gold outputs and seeded errors, for measuring the critic.

The documents are public-domain text: short business documents written for this benchmark (dedicated to
the public domain) and the openings of Moby-Dick (1851) and Pride and Prejudice (1813). Each task has a
gold output that is schema-valid, well-formatted, consistent with its rules and grounded in its context;
each seeded variant breaks exactly one segment in one way."""

from typing import Any

TASKS: list[dict[str, Any]] = [
    {
        "id": "invoice",
        "context": "INVOICE INV-7731. Issued 2024-11-02 to Margaret Hamilton (margaret@example.org). "
        "2 x flight manual at 35.50 each, 1 x star chart at 19.00. Total 90.00 USD.",
        "schema": {
            "type": "object",
            "additionalProperties": False,
            "required": ["number", "customer", "email", "issued", "items", "total"],
            "properties": {
                "number": {"type": "string"},
                "customer": {"type": "string"},
                "email": {"type": "string", "format": "email"},
                "issued": {"type": "string", "format": "date"},
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "qty": {"type": "integer", "minimum": 1},
                            "price": {"type": "number"},
                        },
                    },
                },
                "total": {"type": "number"},
            },
        },
        "rules": ["total == 2 * items[0].price + items[1].price"],
        "gold": {
            "number": "INV-7731",
            "customer": "Margaret Hamilton",
            "email": "margaret@example.org",
            "issued": "2024-11-02",
            "items": [
                {"name": "flight manual", "qty": 2, "price": 35.5},
                {"name": "star chart", "qty": 1, "price": 19.0},
            ],
            "total": 90.0,
        },
        "seeds": [
            ("schema", "/items/0/qty", 0),
            ("format", "/email", "margaret at example"),
            ("consistency", "/total", 91.0),
            ("grounding", "/customer", "Katherine Johnson"),
            ("grounding", "/number", "90.00"),  # the total's value, copied
        ],
    },
    {
        "id": "meeting",
        "context": "Minutes: the budget review met on 2025-03-14, chaired by Dorothy Vaughan. Attendees: Mary "
        "Jackson, Christine Darden. The meeting started at 09:00 and ended at 10:30.",
        "schema": {
            "type": "object",
            "required": ["date", "chair", "attendees", "start", "end"],
            "properties": {
                "date": {"type": "string", "format": "date"},
                "chair": {"type": "string"},
                "attendees": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                "start": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
                "end": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
            },
        },
        "rules": ["end > start"],
        "gold": {
            "date": "2025-03-14",
            "chair": "Dorothy Vaughan",
            "attendees": ["Mary Jackson", "Christine Darden"],
            "start": "09:00",
            "end": "10:30",
        },
        "seeds": [
            ("schema", "/attendees", "Mary Jackson"),
            ("format", "/date", "14th of March"),
            ("consistency", "/end", "08:30"),
            ("grounding", "/attendees/1", "Alan Turing"),
        ],
    },
    {
        "id": "shipping",
        "context": "Shipment SH-204 left Rotterdam on 2025-01-20 bound for Lisbon with 12 pallets weighing "
        "4800 kg in total. Contact: ops@harbour.example.",
        "schema": {
            "type": "object",
            "required": ["id", "origin", "destination", "pallets", "weight_kg", "contact"],
            "properties": {
                "id": {"type": "string", "pattern": "^SH-[0-9]+$"},
                "origin": {"type": "string"},
                "destination": {"type": "string"},
                "pallets": {"type": "integer", "minimum": 1},
                "weight_kg": {"type": "number"},
                "contact": {"type": "string", "format": "email"},
            },
        },
        "rules": ["weight_kg / pallets <= 1000"],
        "gold": {
            "id": "SH-204",
            "origin": "Rotterdam",
            "destination": "Lisbon",
            "pallets": 12,
            "weight_kg": 4800,
            "contact": "ops@harbour.example",
        },
        "seeds": [
            ("schema", "/id", "204"),
            ("format", "/contact", "ops@"),
            ("consistency", "/weight_kg", 48000),
            ("grounding", "/destination", "Hamburg"),
        ],
    },
    {
        "id": "moby-dick",
        "context": "Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in "
        "my purse, and nothing particular to interest me on shore, I thought I would sail about a "
        "little and see the watery part of the world.",
        "schema": {
            "type": "object",
            "required": ["narrator", "wants_to", "money"],
            "properties": {
                "narrator": {"type": "string"},
                "wants_to": {"type": "string"},
                "money": {"type": "string", "enum": ["none", "little or no", "plenty"]},
            },
        },
        "rules": [],
        "gold": {
            "narrator": "Ishmael",
            "wants_to": "sail about a little and see the watery part of the world",
            "money": "little or no",
        },
        "seeds": [
            ("schema", "/money", "a fortune"),
            ("grounding", "/narrator", "Captain Ahab"),
            ("grounding", "/wants_to", "open a bakery in Boston"),
        ],
    },
    {
        "id": "pride-and-prejudice",
        "context": '"My dear Mr. Bennet," said his lady to him one day, "have you heard that Netherfield Park '
        'is let at last?" Mrs. Long says that Netherfield is taken by a young man of large fortune '
        "from the north of England; that he came down on Monday in a chaise and four to see the place.",
        "schema": {
            "type": "object",
            "required": ["speaker_addressed", "estate", "source", "arrival_day"],
            "properties": {
                "speaker_addressed": {"type": "string"},
                "estate": {"type": "string"},
                "source": {"type": "string"},
                "arrival_day": {"type": "string", "enum": ["Monday", "Tuesday", "Sunday"]},
                "horses": {"type": "integer", "minimum": 1, "maximum": 8},
            },
        },
        "rules": [],
        "gold": {
            "speaker_addressed": "Mr. Bennet",
            "estate": "Netherfield Park",
            "source": "Mrs. Long",
            "arrival_day": "Monday",
            "horses": 4,
        },
        "seeds": [
            ("schema", "/horses", 12),
            ("grounding", "/source", "Lady Catherine de Bourgh"),
            ("grounding", "/estate", "Pemberley"),
        ],
    },
    {
        "id": "lease",
        "context": "Lease L-55: tenant Ada Byron rents Flat 3, 8 Marylebone Road from 2025-05-01 to 2026-04-30 "
        "at 1450 per month; deposit 2900. Notice period: 2 months.",
        "schema": {
            "type": "object",
            "required": ["tenant", "start", "end", "rent", "deposit"],
            "properties": {
                "tenant": {"type": "string"},
                "start": {"type": "string", "format": "date"},
                "end": {"type": "string", "format": "date"},
                "rent": {"type": "number"},
                "deposit": {"type": "number"},
                "notice_months": {"type": "integer"},
            },
        },
        "rules": ["end > start", "deposit == 2 * rent"],
        "gold": {
            "tenant": "Ada Byron",
            "start": "2025-05-01",
            "end": "2026-04-30",
            "rent": 1450,
            "deposit": 2900,
            "notice_months": 2,
        },
        "seeds": [
            ("schema", "/rent", "1450 pounds"),
            ("format", "/end", "2026-13-30"),
            ("consistency", "/deposit", 3000),
            ("grounding", "/tenant", "Charles Babbage"),
            ("grounding", "/notice_months", 2900),  # the deposit's value, copied
        ],
    },
    {
        "id": "recipe",
        "context": "Soda bread: mix 450 g flour, 1 teaspoon bicarbonate of soda, 1 teaspoon salt and 400 ml "
        "buttermilk. Bake for 30 minutes at 200 C. Serves 6.",
        "schema": {
            "type": "object",
            "required": ["dish", "ingredients", "minutes", "serves"],
            "properties": {
                "dish": {"type": "string"},
                "ingredients": {"type": "array", "items": {"type": "string"}, "minItems": 2},
                "minutes": {"type": "integer", "minimum": 1},
                "temperature_c": {"type": "integer"},
                "serves": {"type": "integer", "minimum": 1},
            },
        },
        "rules": ["minutes <= 120"],
        "gold": {
            "dish": "Soda bread",
            "ingredients": ["flour", "bicarbonate of soda", "salt", "buttermilk"],
            "minutes": 30,
            "temperature_c": 200,
            "serves": 6,
        },
        "seeds": [
            ("schema", "/serves", 0),
            ("consistency", "/minutes", 300),
            ("grounding", "/ingredients/3", "chocolate chips"),
            ("grounding", "/temperature_c", 180),
        ],
    },
    {
        "id": "support-ticket",
        "context": "Ticket #8812 opened 2025-02-03T10:15:00Z by grace@navy.example: the nightly export job "
        "failed twice with a timeout. Priority: high.",
        "schema": {
            "type": "object",
            "required": ["ticket", "opened", "reporter", "failures", "priority"],
            "properties": {
                "ticket": {"type": "integer"},
                "opened": {"type": "string", "format": "date-time"},
                "reporter": {"type": "string", "format": "email"},
                "failures": {"type": "integer", "minimum": 0},
                "priority": {"type": "string", "enum": ["low", "medium", "high"]},
                "summary": {"type": "string"},
            },
        },
        "rules": ["failures >= 1"],
        "gold": {
            "ticket": 8812,
            "opened": "2025-02-03T10:15:00Z",
            "reporter": "grace@navy.example",
            "failures": 2,
            "priority": "high",
            "summary": "the nightly export job failed with a timeout",
        },
        "seeds": [
            ("schema", "/priority", "urgent"),
            ("format", "/opened", "yesterday morning"),
            ("consistency", "/failures", 0),
            ("grounding", "/ticket", 8813),
        ],
    },
]
