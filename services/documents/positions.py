"""Which value of a JSON text a character belongs to: the pointer of the innermost member being written
at that offset (the verifier names the field its least confident pick was in)."""

import orjson

from services.documents.segments import join


def pointer_at(text: str, offset: int) -> str:
    """The pointer of the value the character at `offset` is part of ("" for the whole document, or for
    characters outside any member). A character of a key belongs to that key's value."""
    frames: list[list] = []  # per open container: [is_object, member (key or index), key_start]
    in_string = escaped = False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
                if frames and frames[-1][0] and frames[-1][2] is not None:  # a key ended
                    try:
                        frames[-1][1] = orjson.loads(text[frames[-1][2] : index + 1])
                    except orjson.JSONDecodeError:
                        frames[-1][1] = None
                    frames[-1][2] = None
                    if offset <= index:
                        return _pointer(frames)
            if index == offset and not (frames and frames[-1][0] and frames[-1][2] is not None):
                return _pointer(frames)
            continue
        if char == '"':
            in_string = True
            if frames and frames[-1][0] and frames[-1][1] is None:  # an object's key starts
                frames[-1][2] = index
        elif char in "{[":
            if index == offset:
                return _pointer(frames)
            frames.append([char == "{", None if char == "{" else 0, None])
            continue
        elif char in "}]":
            if index == offset:
                return _pointer(frames[:-1])
            if frames:
                frames.pop()
            continue
        elif char == "," and frames:
            frames[-1][1] = None if frames[-1][0] else frames[-1][1] + 1
        if index == offset:
            return _pointer(frames)
    return _pointer(frames) if offset < len(text) else ""


def _pointer(frames: list[list]) -> str:
    pointer = ""
    for _, member, _ in frames:
        if member is None:
            break
        pointer = join(pointer, member)
    return pointer
