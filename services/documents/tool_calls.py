"""A menu of calls written as the tool calls a tool-trained model was taught: each branch
`{"<name>": {<arguments>}}` becomes `{"name": "<name>", "arguments": {<arguments>}}`, and back.

Qwen2.5's chat models were trained to answer a `<tools>` list with `{"name": …, "arguments": …}`; asked
for the menu's own shape they chose the wrong call or left stated arguments out more often
(bench/results/tool_calls.json: by far on the tasks the format was tuned on, by a little on unseen
ones). The tool-call schema is decoded instead and its output turned back into the request's shape, so
the rest of the pipeline never sees the difference. Only plain menus are converted: a branch with
constraints beyond its one property, or a `$ref` into the branches, keeps the request's own schema (its
meaning would not survive the move)."""

from typing import Any

import orjson

from services.documents.function_menu import menu_entry
from services.documents.menus import ALTERNATIVES, DEFINITIONS
from services.documents.segments import join

PLAIN_BRANCH_KEYS = {"type", "properties", "required", "additionalProperties", "description", "title"}
PLAIN_MENU_KEYS = {"$schema", "$id", "title", "description", *DEFINITIONS}
LOCAL_REFS = tuple(f'"$ref":"#/{name}/' for name in DEFINITIONS)


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for combinator in ALTERNATIVES for b in schema.get(combinator) or []]


def _plain(schema: dict[str, Any]) -> bool:
    """A menu whose branches say nothing but their call, and whose references all point at definitions."""
    alternatives = [c for c in ALTERNATIVES if c in schema]
    if len(alternatives) != 1 or set(schema) - PLAIN_MENU_KEYS - set(alternatives):
        return False  # both anyOf and oneOf would ask for a call matching each
    branches = _branches(schema)
    if not branches or not all(isinstance(b, dict) and _one_call(b) for b in branches):
        return False
    text = orjson.dumps(schema).decode()
    return text.count('"$ref":') == sum(text.count(prefix) for prefix in LOCAL_REFS)


def _one_call(branch: dict[str, Any]) -> bool:
    """A closed object of exactly one property, which it requires, and nothing else."""
    properties = branch.get("properties")
    return (
        not set(branch) - PLAIN_BRANCH_KEYS
        and branch.get("type", "object") == "object"
        and isinstance(properties, dict)
        and len(properties) == 1
        and branch.get("required") == list(properties)
        and branch.get("additionalProperties") is False
    )


def tools(schema: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The menu's calls as tool definitions (`{"type": "function", "function": {name, description?,
    parameters}}`), in the menu's order (one, for a menu narrowed to a call); None when the schema is no
    plain menu."""
    if not _plain(schema):
        return None
    found = []
    for branch in _branches(schema):
        [(name, parameters)] = branch["properties"].items()
        parameters = parameters if isinstance(parameters, dict) else {}
        described = branch.get("description") or parameters.get("description")
        function = {"name": name, **({"description": described} if described else {}), "parameters": parameters}
        found.append({"type": "function", "function": function})
    return found


def tool_call_schema(schema: dict[str, Any], offered: list[dict[str, Any]] | None = None) -> dict[str, Any] | None:
    """The schema of one tool call from the menu (its definitions kept), None when it is no plain menu;
    `offered`: its `tools`, when already read. Every output it allows turns back (`as_menu_call`) into an
    output the menu allows."""
    offered = offered if offered is not None else tools(schema)
    if offered is None:
        return None
    calls = [
        {
            "type": "object",
            "properties": {"name": {"const": t["function"]["name"]}, "arguments": t["function"]["parameters"]},
            "required": ["name", "arguments"],
            "additionalProperties": False,
        }
        for t in offered
    ]
    return {**{k: v for k, v in schema.items() if k in DEFINITIONS}, "anyOf": calls}


def as_menu_call(value: Any) -> Any:
    """`{"name": n, "arguments": a}` → `{n: a}`; anything else (an unparsed draft) as it is."""
    if isinstance(value, dict) and set(value) == {"name", "arguments"} and isinstance(value["name"], str):
        return {value["name"]: value["arguments"]}
    return value


def menu_pointer(pointer: str, value: Any) -> str:
    """A pointer into the tool call, into the menu call it turns into: `/arguments/x` → `/<name>/x`; the
    name itself is the call's key, whose value it belongs to (`/name` → `/<name>`)."""
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        return pointer
    called = join("", value["name"])
    if pointer == "/name":
        return called
    if pointer == "/arguments" or pointer.startswith("/arguments/"):
        return called + pointer.removeprefix("/arguments")
    return pointer


def described_in_prompt(prompt: str, offered: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """The prompt without the lines that describe the offered calls ("- <name>: <description>", the way a
    menu is listed in a prompt, `function_menu.menu_entry`), each description moved into its tool unless the
    schema gave it one: the `<tools>` list says it once, where the model was trained to read it."""
    names = {tool["function"]["name"] for tool in offered}
    said: dict[str, str] = {}
    kept = []
    for line in prompt.split("\n"):
        entry = menu_entry(line)
        if entry and entry[0] in names:
            said[entry[0]] = entry[1]
        else:
            kept.append(line)
    if not said:
        return prompt, offered
    moved = []
    for tool in offered:
        function = tool["function"]
        if "description" not in function and said.get(function["name"]):
            function = {"name": function["name"], "description": said[function["name"]], **function}
        moved.append({**tool, "function": function})
    return "\n".join(kept).strip(), moved
