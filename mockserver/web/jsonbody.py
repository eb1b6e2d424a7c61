"""Strict JSON body parsing: everything that is not plain, valid UTF-8 JSON becomes an InvalidJson error.

Nesting deeper than MAX_DEPTH is refused here (a recursive walk of a body nested ~950 deep hit the
recursion limit). `json.loads` itself is C code whose own depth limit raises RecursionError (answered as
malformed); every walk here is flat. The depth check visits containers only and is skipped when the raw
bytes hold too few brackets to break the bound, so ordinary bodies pay nothing. Long arrays are not refused
here: the validator judges a bounded copy (`spec.validation.bounded`), so a 500,000-item `images` is
answered cheaply with the rule it breaks (e.g. STD_IMAGES_MAX), as a 10-item one is.
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects accepted (the spec's bodies nest 3 levels)."""

# A \uD800-\uDFFF escape may be half of a valid pair or a lone surrogate; only then is a full walk needed.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class InvalidJson(ValueError):
    """The body is not acceptable JSON; the message says why (for the error envelope)."""


def _reject_constant(name: str) -> NoReturn:
    raise InvalidJson(f"{name} is not valid JSON")


def check_depth(value: Any, max_depth: int = MAX_DEPTH) -> None:
    """Raise InvalidJson when `value` nests deeper than `max_depth`. One flat walk over the containers
    only (never recursive: no RecursionError)."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "$")]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth, path = pop()
        if depth > max_depth:
            raise InvalidJson(f"body nests arrays/objects deeper than {max_depth} levels (at {path[:80]}...)")
        if type(node) is list:
            for index, child in enumerate(node):
                kind = type(child)
                if kind is list or kind is dict:
                    push((child, depth + 1, f"{path}[{index}]"))
        else:
            for key, child in node.items():
                kind = type(child)
                if kind is list or kind is dict:
                    push((child, depth + 1, f"{path}.{key}"))


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def parse_json_body(raw: bytes) -> Any:
    """Decode `raw` as strict UTF-8 JSON (no NaN/Infinity, no lone surrogates, nesting at most MAX_DEPTH);
    raise InvalidJson otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidJson(f"body is not valid UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except InvalidJson:
        raise
    except json.JSONDecodeError as exc:
        raise InvalidJson(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except (RecursionError, ValueError) as exc:
        raise InvalidJson(f"malformed JSON: {exc}") from None
    # Counted on the raw bytes (C speed, strings included: an overcount only costs the walk): with so
    # few brackets nothing nests too deep.
    if type(value) in (list, dict) and raw.count(b"[") + raw.count(b"{") > MAX_DEPTH:
        check_depth(value)
    if _SURROGATE_ESCAPE.search(raw) and _has_lone_surrogate(value):
        raise InvalidJson("body contains a lone UTF-16 surrogate escape")
    return value
