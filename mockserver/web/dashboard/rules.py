"""The spec's rule ids with what documents them: `x-quote` (documented) or `x-reason` (assumed).

A tiny walker of its own (the emulator must not import `contracts`): every mapping anywhere in the spec
that carries `x-rule` contributes its id; the first quote or reason seen for an id wins."""

from __future__ import annotations

from typing import Any


def _text(node: dict[str, Any]) -> str:
    for key, label in (("x-quote", "documented"), ("x-reason", "assumed")):
        value = node.get(key)
        if isinstance(value, str) and value.strip():
            return f"{label}: {' '.join(value.split())}"
    return ""


def rule_quotes(spec: Any) -> dict[str, str]:
    """Map each `x-rule` id of the spec to "documented: <quote>" or "assumed: <reason>" ("" when neither)."""
    found: dict[str, str] = {}
    stack: list[Any] = [spec]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            rule = node.get("x-rule")
            if isinstance(rule, str) and not found.get(rule):
                found[rule] = _text(node)
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return dict(sorted(found.items()))
