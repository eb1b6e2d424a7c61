"""Strict JSON body parsing: everything that is not plain, valid UTF-8 JSON becomes an InvalidJson error."""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

# A \uD800-\uDFFF escape may be half of a valid pair or a lone surrogate; only then is a full walk needed.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class InvalidJson(ValueError):
    """The body is not acceptable JSON; the message says why (for the error envelope)."""


def _reject_constant(name: str) -> NoReturn:
    raise InvalidJson(f"{name} is not valid JSON")


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def parse_json_body(raw: bytes) -> Any:
    """Decode `raw` as strict UTF-8 JSON (no NaN/Infinity, no lone surrogates); raise InvalidJson otherwise."""
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
    if _SURROGATE_ESCAPE.search(raw) and _has_lone_surrogate(value):
        raise InvalidJson("body contains a lone UTF-16 surrogate escape")
    return value
