"""What a Redis store address holds: its options (`?prefix=`, and `?db=` for a unix socket), the URL redis-py
is given, and the URL error messages show (without the password: a store error reaches API callers as the
503's message)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit, urlunsplit

DB_RULE = re.compile(r"[0-9]{1,5}")
DEFAULT_PREFIX = "seedance-mock"  # the prefix when the address names none


def url_options(url: str) -> dict[str, str]:
    """The options of a Redis store URL: `prefix` on every form, `db` on `unix://` only (the TCP forms name
    their database in the path). ValueError for any other option or one given twice: an option we would not
    honour is refused, not dropped."""
    allowed = ("prefix", "db") if url.startswith("unix://") else ("prefix",)
    pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    seen: set[str] = set()
    for name, value in pairs:
        if name not in allowed:
            tcp = name == "db" and url.startswith(("redis://", "rediss://"))
            hint = " (name the database in the path: redis://HOST:PORT/DB)" if tcp else ""
            raise ValueError(f"unknown store option {name[:40]!r}: a Redis store takes "
                             f"{' and '.join(f'?{a}=' for a in allowed)}{hint}")
        if name in seen:
            raise ValueError(f"store option {name!r} is given twice")
        if name == "db" and not DB_RULE.fullmatch(value):
            raise ValueError(f"store option db must be a database number, not {value[:40]!r}")
        seen.add(name)
    return dict(pairs)


def connection_url(url: str) -> str:
    """The URL redis-py connects to: the address without our options, but a unix socket's `?db=N` kept."""
    parts = urlsplit(url)
    db = url_options(url).get("db")
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + (f"?db={db}" if db else "")


def split_userinfo(netloc: str) -> tuple[str, str | None, str]:
    """`[USER[:PASSWORD]@]HOSTS` -> (user, password or None when there is no `:`, hosts), still %-escaped."""
    userinfo, at, hosts = netloc.rpartition("@")
    if not at:
        return "", None, netloc
    user, colon, password = userinfo.partition(":")
    return user, (password if colon else None), hosts


def shown_url(url: str) -> str:
    """`url` as messages show it: a password replaced by `***`."""
    parts = urlsplit(url)
    user, password, hosts = split_userinfo(parts.netloc)
    if password is None:
        return url
    return urlunsplit((parts.scheme, f"{user}:***@{hosts}", parts.path, parts.query, parts.fragment))
