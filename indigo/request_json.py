"""JSON as clients send it (a POST body, a GET's `variables`, a WebSocket message), read
strictly: UTF-8 only, nested no deeper than any operation needs, and no lone surrogate.

Python's reader accepts `"\\ud800"` and hands back a string that no database driver can
encode, and recurses once per level of nesting until the interpreter gives up: both would
surface as internal errors far from the request. Refused here, they are the client's mistake,
told as such.
"""

from __future__ import annotations

import json
import re

# Variables of the deepest input type are a handful of levels deep; 64 leaves room to spare.
MAX_DEPTH = 64
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class UnreadableJson(json.JSONDecodeError):
    """JSON that is well formed, or not even text, yet not something the API reads.

    A JSONDecodeError, so every transport refuses it as it refuses malformed JSON (HTTP 400,
    WebSocket close 4400), with `reason` saying what is wrong.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason, "", 0)
        self.reason = reason


def read_json(data: str | bytes) -> object:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise UnreadableJson("The request is not UTF-8 text") from None
    try:
        value = json.loads(data)
    except RecursionError:
        raise UnreadableJson(_too_deep()) from None
    # A surrogate reaches a string only through a \uD800-\uDFFF escape (raw, it is not
    # UTF-8): with none in the text, the strings need no look.
    _check(value, strings=_SURROGATE_ESCAPE.search(data) is not None)
    return value


def _too_deep() -> str:
    return f"The JSON is nested more than {MAX_DEPTH} levels deep"


def _check(value: object, *, strings: bool) -> None:
    """Walk the containers without recursion, so the walk itself has no depth to hit, and
    with `strings`, every string too."""
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if strings and _LONE_SURROGATE.search(item):
                raise UnreadableJson("A string holds a lone surrogate, which is not text")
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise UnreadableJson(_too_deep())
        children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
        pending.extend(
            (child, depth + 1)
            for child in children
            if isinstance(child, dict | list) or (strings and isinstance(child, str))
        )
