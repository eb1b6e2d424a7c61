"""`ControlClient`: a thin `requests` wrapper over the emulator's HTTP control API (`/_mock/...`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

DEFAULT_TIMEOUT = 30.0


class ControlError(RuntimeError):
    """The control API refused a request; `.status` and `.body` hold its answer."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"control API answered {status}: {body}")
        self.status = status
        self.body = body


class ControlClient:
    """Drive a running emulator: reset, clock, forced outcomes, faults, limits, media, journal."""

    def __init__(
        self,
        base_url: str,
        session: requests.Session | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        control_token: str | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.timeout = timeout
        # Sent only when the emulator runs with --control-token (SEEDANCE_MOCK_CONTROL_TOKEN).
        self.headers = {"X-Control-Token": control_token} if control_token else {}

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None,
              params: dict[str, str | int] | None = None) -> Any:
        response = self.session.request(
            method, f"{self.base_url}/_mock{path}", json=payload, params=params, timeout=self.timeout,
            headers=self.headers,
        )
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if response.status_code != 200:
            raise ControlError(response.status_code, body)
        return body["data"]

    def reset(self) -> None:
        """Forget every task, fault, limit, media fact, audit state and the journal."""
        self._call("POST", "/reset")

    def now(self) -> float:
        """The emulator clock (Unix seconds)."""
        return float(self._call("GET", "/clock")["now"])

    def set_speed(self, speed: float) -> float:
        """Make simulated time run `speed` times faster for tasks created from now on; returns the speed."""
        return float(self._call("POST", "/clock", {"speed": speed})["speed"])

    def advance(self, seconds: float) -> float:
        """Move the simulated clock forward; returns the new time."""
        return float(self._call("POST", "/clock/advance", {"seconds": seconds})["now"])

    def task(self, task_id: str) -> dict[str, Any]:
        """A task's timeline (any token)."""
        data: dict[str, Any] = self._call("GET", f"/tasks/{quote(task_id, safe='')}")
        return data

    def fail_task(self, task_id: str, reason: str = "generation failed", at: str = "processing") -> dict[str, Any]:
        """Make a task fail: at="now" (at once), "queue" (never processes) or "processing" (fails at its end).
        A forced outcome is final: forcing the task again raises ControlError (409)."""
        payload = {"reason": reason, "at": at}
        data: dict[str, Any] = self._call("POST", f"/tasks/{quote(task_id, safe='')}/fail", payload)
        return data

    def complete_task(self, task_id: str) -> dict[str, Any]:
        """Finish a task successfully now."""
        data: dict[str, Any] = self._call("POST", f"/tasks/{quote(task_id, safe='')}/complete")
        return data

    def inject_fault(
        self,
        kind: str,
        count: int = 1,
        operation: str = "any",
        token: str | None = None,
        retry_after: int = 1,
        delay: float = 0.0,
    ) -> None:
        """The next `count` requests (of `token`, or any token) for `operation` answer `kind`:
        "429" | "500" | "502" | "503" | "delay" | "drop"."""
        payload = {
            "kind": kind, "count": count, "operation": operation,
            "token": token, "retry_after": retry_after, "delay": delay,
        }
        self._call("POST", "/faults", payload)

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        self._call("DELETE", "/faults")

    def set_limits(
        self, token: str | None = None, rate_per_minute: int | None = None, max_in_flight: int | None = None
    ) -> None:
        """Per-token rate limit and in-flight cap (token None = every token; None = unlimited)."""
        payload = {"token": token, "rate_per_minute": rate_per_minute, "max_in_flight": max_in_flight}
        self._call("POST", "/limits", payload)

    def declare_media(
        self,
        url: str,
        *,
        duration: float | None = None,
        size: int | None = None,
        width: int | None = None,
        height: int | None = None,
        reachable: bool = True,
    ) -> None:
        """Tell the emulator what a media URL is (it never fetches media)."""
        payload = {
            "url": url, "duration": duration, "size": size,
            "width": width, "height": height, "reachable": reachable,
        }
        self._call("POST", "/media", payload)

    def set_asset_audit(self, asset_id: str, state: str) -> None:
        """Full-route asset audit state: "approved" | "pending" | "rejected"."""
        self._call("POST", "/assets", {"asset_id": asset_id, "state": state})

    def journal(self, **filters: str | int) -> list[dict[str, Any]]:
        """Recorded API requests, oldest first (filters: after, limit, status, rule, token)."""
        entries: list[dict[str, Any]] = self._call("GET", "/journal", params=dict(filters))["entries"]
        return entries

    def usage(self) -> list[dict[str, Any]]:
        """What the stored tasks would have been billed, by token, model and resolution."""
        rows: list[dict[str, Any]] = self._call("GET", "/usage")["usage"]
        return rows

    def health(self) -> dict[str, Any]:
        """Version, store, instance, uptime, stored tasks and their bound (`max_tasks`)."""
        data: dict[str, Any] = self._call("GET", "/health")
        return data

    def clear_journal(self) -> None:
        """Empty the journal."""
        self._call("DELETE", "/journal")
