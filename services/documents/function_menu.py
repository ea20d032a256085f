"""A menu of functions as a request states it: the ask (the prompt's first line), and each offered
function with its description, from the schema's branch or from the prompt's menu line
("- name: description"), written as the text a sentence encoder reads."""

import re
from typing import Any

from services.documents.menus import call_branch, menu
from services.documents.names import name_words

# How a prompt lists an offered function, one a line: "- name: description" (or "* `name`: ...").
MENU_ENTRY = re.compile(r"^\s*[-*]\s*`?([\w.\-]+)`?\s*:\s*(.+?)\s*$", re.MULTILINE)


def menu_entry(line: str) -> tuple[str, str] | None:
    """(name, description) of a prompt line that lists a function, else None."""
    found = MENU_ENTRY.match(line)
    return (found.group(1), found.group(2)) if found else None


def ask_and_rest(prompt: str) -> tuple[str, str]:
    """The request's first line, the ask itself, and the lines after it (instructions, a function menu)."""
    ask, _, rest = prompt.partition("\n")
    return ask, rest


def _branch_description(schema: dict[str, Any], name: str) -> str | None:
    branch = call_branch(schema, name) or {}
    arguments = (branch.get("properties") or {}).get(name)
    described = branch.get("description") or (arguments.get("description") if isinstance(arguments, dict) else None)
    return described if isinstance(described, str) and described.strip() else None


def offered_functions(schema: dict[str, Any], prompt: str) -> dict[str, str] | None:
    """Each offered name with its description (the schema's, else the prompt's menu line); None unless
    every one has one."""
    listed = {m.group(1): m.group(2) for m in MENU_ENTRY.finditer(ask_and_rest(prompt)[1])}
    offered = {name: _branch_description(schema, name) or listed.get(name) for name in menu(schema)}
    return offered if offered and all(offered.values()) else None


def without_entries(prompt: str, names: set[str]) -> str:
    """The prompt without the menu lines that describe `names` (the ask, its first line, kept as it is)."""
    ask, rest = ask_and_rest(prompt)
    if not rest:
        return prompt
    kept = [line for line in rest.split("\n") if not ((entry := menu_entry(line)) and entry[0] in names)]
    return "\n".join([ask, *kept])


def function_text(name: str, description: str) -> str:
    return f"{' '.join(name_words(name.replace('.', '_')))}: {description}"
