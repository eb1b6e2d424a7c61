"""Send a public API request on to the real service: a pooled `requests.Session`, timeouts on every call,
answer size caps, and only the headers the API needs (the caller's own Authorization among them)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

MAX_ANSWER_BYTES = 4 * 1024 * 1024
"""A JSON answer larger than this is refused (the spec's answers are a few hundred bytes)."""
MAX_RESULT_BYTES = 1024 * 1024 * 1024
"""A result download stops after this many bytes (a 15 s 4K video is well below it)."""
CHUNK = 64 * 1024
FORWARDED_HEADERS = ("Authorization", "Content-Type", "Accept", "Accept-Language")
PASSED_BACK_HEADERS = ("Content-Type", "Retry-After", "Allow", "Content-Length", "Content-Disposition",
                       "Cache-Control")


class UpstreamError(Exception):
    """The real service could not be reached, timed out, or answered more than we accept."""


@dataclass(frozen=True)
class Answer:
    """A JSON-sized answer of the real service, read whole (bounded)."""

    status: int
    headers: dict[str, str]
    body: bytes


def check_upstream_url(url: str) -> str:
    """`url` without a trailing slash; ValueError unless it is http(s)://host[:port][/prefix] with no query."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"--upstream must look like https://host[:port][/prefix], not {url[:100]!r}")
    if parts.username or parts.password:
        raise ValueError("--upstream must not carry credentials: the proxy sends each caller's own Authorization")
    return url.rstrip("/")


class Forwarder:
    """One connection pool to the real service, shared by every request of this process."""

    def __init__(self, base_url: str, connect_timeout: float = 5.0, read_timeout: float = 60.0,
                 pool_size: int = 32) -> None:
        """`base_url` as checked by `check_upstream_url`; at most `pool_size` connections kept open."""
        self.base_url = check_upstream_url(base_url)
        self.timeout = (connect_timeout, read_timeout)
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self._adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, pool_block=True, max_retries=0)

    @property
    def session(self) -> requests.Session:
        """This thread's session (requests' Session is not thread-safe); all share one bounded pool."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # no proxy variables or .netrc credentials sneak in
            session.mount("http://", self._adapter)
            session.mount("https://", self._adapter)
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def send(self, method: str, path: str, headers: Mapping[str, str], body: bytes = b"") -> Answer:
        """Forward one API call and read its answer whole (UpstreamError past MAX_ANSWER_BYTES)."""
        sent = {k: v for k, v in headers.items() if k in FORWARDED_HEADERS}
        try:
            response = self.session.request(method, self.base_url + path, data=body or None, headers=sent,
                                            timeout=self.timeout, stream=True, allow_redirects=False)
        except requests.RequestException as exc:
            raise UpstreamError(_reason(exc)) from None
        deadline = time.monotonic() + self.timeout[1]  # the read timeout bounds each read; this, the whole answer
        with response:
            data = bytearray()
            try:
                for chunk in response.raw.stream(CHUNK, decode_content=True):
                    data += chunk
                    if len(data) > MAX_ANSWER_BYTES:
                        raise UpstreamError(f"the answer is over {MAX_ANSWER_BYTES} bytes")
                    if time.monotonic() > deadline:
                        raise UpstreamError("the service did not answer in time")
            except (requests.RequestException, OSError, ValueError) as exc:
                raise UpstreamError(_reason(exc)) from None
            kept = {k: response.headers[k] for k in PASSED_BACK_HEADERS
                    if k in response.headers and k != "Content-Length"}
            return Answer(response.status_code, kept, bytes(data))

    def download(self, url: str) -> tuple[int, dict[str, str], Iterator[bytes]]:
        """Stream a result file: (status, headers, chunks); the chunks stop at MAX_RESULT_BYTES."""
        try:
            response = self.session.get(url, timeout=self.timeout, stream=True, allow_redirects=True)
        except requests.RequestException as exc:
            raise UpstreamError(_reason(exc)) from None
        headers = {k: response.headers[k] for k in PASSED_BACK_HEADERS if k in response.headers}
        if response.headers.get("Content-Encoding"):
            headers.pop("Content-Length", None)  # the chunks are decoded: the length changes

        def chunks() -> Iterator[bytes]:
            sent = 0
            with response:
                try:
                    for chunk in response.raw.stream(CHUNK, decode_content=True):
                        sent += len(chunk)
                        if sent > MAX_RESULT_BYTES:
                            return
                        yield chunk
                except (requests.RequestException, OSError, ValueError):
                    return

        return response.status_code, headers, chunks()

    def close(self) -> None:
        """Close every pooled connection."""
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
        self._adapter.close()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, requests.Timeout):
        return "the service did not answer in time"
    if isinstance(exc, requests.ConnectionError):
        return "the service cannot be reached"
    return type(exc).__name__
