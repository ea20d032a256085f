"""What a field's description says it may hold: the values it quotes ("Can be 'list' or 'dictionary'",
"formatted as 'City, State'"). JSON Schema cannot say these; descriptions of function parameters often do."""

import re
from typing import Any

QUOTED_OPTION = re.compile(r"'([^'\n]{1,40})'|\"([^\"\n]{1,40})\"")


def described_quotes(description: str) -> list[str]:
    """The values a field's description quotes, once each, in order."""
    return list(dict.fromkeys(m.group(1) or m.group(2) for m in QUOTED_OPTION.finditer(description[:2000])))


def options(field: dict[str, Any]) -> list[Any]:
    """What a field may be: its enum, or the values its description quotes when it quotes two or more
    ("Can be 'list' for a list of all prime factors or 'dictionary' for a count of each")."""
    if isinstance(field.get("enum"), list):
        return field["enum"]
    description = field.get("description")
    if not isinstance(description, str):
        return []
    quoted = described_quotes(description)
    return quoted if len(quoted) > 1 else []
