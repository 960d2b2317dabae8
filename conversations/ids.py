"""Row identifiers: time-ordered, unguessable, generated before insert.

Ids are made in Python rather than by the database so that a sealed field's associated data can
name its row before the row exists (see `conversations.crypto`).
"""

from __future__ import annotations

import secrets
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_lock = threading.Lock()
_last = (0, 0)


def new_id() -> str:
    """A 26-character ULID; strictly increasing within this process."""
    global _last
    with _lock:
        ms = time.time_ns() // 1_000_000
        last_ms, last_rand = _last
        rand = last_rand + 1 if ms <= last_ms else secrets.randbits(79)
        ms = max(ms, last_ms)
        _last = (ms, rand)
    value = (ms << 80) | rand
    return "".join(_ALPHABET[(value >> shift) & 31] for shift in range(125, -1, -5))


def case_reference() -> str:
    """A short reference staff use for a child (e.g. ``K7F``); no vowels, so no words."""
    return "".join(secrets.choice("BCDFGHJKLMNPQRSTVWXZ23456789") for _ in range(3))
