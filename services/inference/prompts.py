"""Prompts for the generator (whole output) and the refiner (one failing segment)."""

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import orjson

from services.documents.sentences import sentences
from services.inference.engines.base import Message
from services.inference.prompt_artifact import HANDWRITTEN, GenerationPrompt


def compact_json(value: Any) -> str:
    """JSON as the model reads and writes it here: no spaces."""
    return orjson.dumps(value).decode()


def _user_turn(prompt: str, json_schema: dict[str, Any] | None, context: str | None) -> str:
    parts = [f"Request: {prompt}"]
    if context:
        parts.append(f"Context:\n{context}")
    if json_schema is not None:
        parts.append(f"JSON Schema: {compact_json(json_schema)}")
    return "\n\n".join(parts)


def generation_messages(
    prompt: str, json_schema: dict[str, Any], context: str | None, template: GenerationPrompt = HANDWRITTEN
) -> list[Message]:
    """The whole-output prompt: the tier's instruction, its demonstrations as earlier turns, the request."""
    messages: list[Message] = [{"role": "system", "content": template.instruction}]
    for demo in template.demos:
        messages.append({"role": "user", "content": _user_turn(demo.prompt, demo.json_schema, None)})
        messages.append({"role": "assistant", "content": compact_json(demo.output)})
    messages.append({"role": "user", "content": _user_turn(prompt, json_schema, context)})
    return messages


# Qwen2.5's own tool preamble (its chat template writes it into the system turn when given `tools`), written
# here so every engine renders the same text; tools as compact JSON, a line each.
TOOLS_PREAMBLE = (
    "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
)
TOOLS_CLOSING = (
    "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
    '<tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}'
    "\n</tool_call>"
)
# Qwen2.5's own default system turn. The schema prompt's "use only facts stated; never invent values" made
# the 1.5B leave out what descriptions ask to add ("Pinole" for "Pinole, CA"): 20 of 40 tuning menus right,
# 21 with this (README, "Menus as tool calls"). The critic, not the prompt, checks what is invented.
TOOL_INSTRUCTION = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
# named in the ledger like a compiled prompt's version: the same text, the same version
_TOOL_PROMPT = (TOOL_INSTRUCTION + TOOLS_PREAMBLE + TOOLS_CLOSING).encode()
TOOL_PROMPT_VERSION = "tool_calls-" + hashlib.sha256(_TOOL_PROMPT).hexdigest()[:10]


def tool_call_messages(prompt: str, tools: list[dict[str, Any]], context: str | None) -> list[Message]:
    """A menu request as the tool-calling turn a tool-trained model knows: the calls in its `<tools>` list,
    the request as the user's turn (documents/tool_calls.py turns the answer back into the menu's shape)."""
    listed = "\n".join(compact_json(tool) for tool in tools)
    system = f"{TOOL_INSTRUCTION}\n\n{TOOLS_PREAMBLE}{listed}{TOOLS_CLOSING}"
    return [{"role": "system", "content": system}, {"role": "user", "content": _user_turn(prompt, None, context)}]


SEGMENT_SYSTEM = "JSON only."  # the decoder enforces the shape; every prompt token is charged
TASK_CHARS = 200  # of the request's instruction: the sentences that concern the failing segments
CONTEXT_CHARS = 360  # of the context: likewise
WORD = re.compile(r"[A-Za-z0-9]{3,}")


def relevant_context(context: str, hints: list[str], limit: int = CONTEXT_CHARS) -> str:
    """The context, or, when long, its sentences sharing the most words with the hints (in order)."""
    if len(context) <= limit:
        return context
    said = sentences(context)
    wanted = {w.lower() for h in hints for w in WORD.findall(h)}
    ranked = sorted(range(len(said)), key=lambda i: -len(wanted & {w.lower() for w in WORD.findall(said[i])}))
    chosen, size = [], 0
    for index in ranked:
        if size + len(said[index]) > limit and chosen:
            break
        chosen.append(index)
        size += len(said[index])
    return " ".join(said[i] for i in sorted(chosen))


@dataclass(frozen=True)
class SegmentAsk:
    """One failing segment as the refiner asks for it."""

    label: str  # the key it is answered under: the field's name, or its pointer where names repeat
    schema: dict[str, Any]  # as shown in the prompt (the decoder gets the full sub-schema)
    feedback: list[str]
    current: Any = None
    description: str | None = None

    def hints(self) -> list[str]:
        return [self.label, self.description or "", *self.feedback]


def segment_messages(
    prompt: str, context: str | None, asks: list[SegmentAsk], *, draft: Any = None, with_task: bool = True
) -> list[Message]:
    """A lean prompt for the failing segments of one draft, answered in one call.

    Segment refinement is only worth it if it costs far fewer tokens than regenerating the whole output,
    so: no full schema, no whole draft (`draft`, cut short, only for cross-field rules), and of the
    instruction and the context only the sentences that concern the segments (`with_task` False: no
    instruction, for values only the context can settle). One call for all failing segments pays for that
    prompt once."""
    hints = [h for ask in asks for h in ask.hints()]
    task = prompt
    if context and context.strip() in prompt:
        task = prompt.replace(context.strip(), "").strip() or prompt  # the context is shown as the source
    parts = [f"Task: {relevant_context(task, hints, TASK_CHARS)}"] if with_task or not context else []
    if context:
        parts.append(f"Source: {relevant_context(context, hints, CONTEXT_CHARS)}")
    if draft is not None:
        parts.append(f"Draft: {compact_json(draft)[:300]}")
    for ask in asks:
        about = f" ({ask.description[:100]})" if ask.description else ""
        current = compact_json(ask.current)[:80]
        parts.append(
            f"{ask.label}{about} = {current} is wrong: " + "; ".join(_said(f, ask.current) for f in ask.feedback)
        )
    fields = ", ".join(f"{compact_json(ask.label)}: {shape(ask.schema)}" for ask in asks)
    parts.append(f"Answer {{{fields}}}")
    return [{"role": "system", "content": SEGMENT_SYSTEM}, {"role": "user", "content": "\n".join(parts)}]


SCORE = re.compile(r" \((?:best match|similarity) [0-9.]+\)")


def _said(feedback: str, current: Any) -> str:
    """The critic's message without what the prompt already shows: the value itself, similarity scores."""
    feedback = SCORE.sub("", feedback)
    if isinstance(current, str | int | float):  # "format: 'x' is not a 'date'" → "format: it is not a 'date'"
        feedback = re.sub(rf"^((?:\w+: )?){re.escape(repr(current))}(?!\w)", r"\1it", feedback)
    return feedback


QUALIFIERS = ("format", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength")
ENUM_SHOWN = 12


def shape(schema: dict[str, Any]) -> str:
    """A short sketch of what a segment may be (`2|4|5`, `string (format date)`), for the prompt only: the
    decoder enforces the whole sub-schema, the model needs just the gist. Objects and arrays as JSON."""
    if "const" in schema:
        return compact_json(schema["const"])
    kinds = schema.get("type")
    if isinstance(schema.get("enum"), list) and len(schema["enum"]) <= ENUM_SHOWN:
        return "|".join(compact_json(v) for v in schema["enum"])
    # a long enum (values the source states, say) is left to the decoder: a few of them would mislead
    if not isinstance(kinds, str | list) or {"object", "array"} & set(kinds if isinstance(kinds, list) else [kinds]):
        return compact_json(schema)
    qualifiers = ", ".join(f"{key} {schema[key]}" for key in QUALIFIERS if key in schema)
    kind = kinds if isinstance(kinds, str) else "|".join(kinds)
    return f"{kind} ({qualifiers})" if qualifiers else kind
