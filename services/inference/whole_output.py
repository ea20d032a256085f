"""How a tier is asked for a whole output (the generator's draft, the refiner's whole regeneration), and
its answer in the request's shape.

Most requests: the tier's prompt with the JSON Schema, decoded against that schema. A menu of calls on a
tier whose `menu_format` is tool_calls: a `<tools>` list, decoded as `{"name", "arguments"}` and turned
back into the menu's `{"<name>": {<arguments>}}` (documents/tool_calls.py), so no later stage can tell."""

import dataclasses
from dataclasses import dataclass
from typing import Any

from services.documents.tool_calls import as_menu_call, described_in_prompt, menu_pointer, tool_call_schema, tools
from services.inference.calls import CallResult
from services.inference.engines.base import Message
from services.inference.prompts import TOOL_PROMPT_VERSION, compact_json, generation_messages, tool_call_messages
from services.inference.tiers import Tier


@dataclass(frozen=True)
class WholeAsk:
    messages: list[Message]
    json_schema: dict[str, Any]  # what the decoder enforces
    prompt_version: str
    as_tool_call: bool = False

    @property
    def note(self) -> str | None:
        return "as a tool call" if self.as_tool_call else None

    def answer(self, call: CallResult) -> CallResult:
        """The call's result in the request's shape: a tool call's value, text and least confident field
        as the menu's call."""
        if not self.as_tool_call or not call.parsed:
            return call
        value = as_menu_call(call.value)
        confidence = call.confidence
        if confidence is not None and confidence.least_pointer is not None:
            where = menu_pointer(confidence.least_pointer, call.value)
            confidence = confidence.model_copy(update={"least_pointer": where})
        return dataclasses.replace(call, value=value, text=compact_json(value), confidence=confidence)


def whole_ask(prompt: str, json_schema: dict[str, Any], context: str | None, tier: Tier) -> WholeAsk:
    offered = tools(json_schema) if tier.menu_format == "tool_calls" else None
    if offered is not None:
        decoded = tool_call_schema(json_schema, offered)
        asked, offered = described_in_prompt(prompt, offered)
        return WholeAsk(tool_call_messages(asked, offered, context), decoded, TOOL_PROMPT_VERSION, True)
    messages = generation_messages(prompt, json_schema, context, tier.prompt)
    return WholeAsk(messages, json_schema, tier.prompt.version)
