"""What staff do when a young person goes missing, per region, kept beside the region's contacts
(``safety/contacts/<region>.json``, its ``missing_steps`` list).

Each step has an id the bot knows how to say in the reader's language (with the numbers given
here filled in), and an English text for a step it does not know. Validated when loaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from safety.contacts import CONTACTS_DIR, load_contacts

__all__ = ["Step", "load_missing_steps"]


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    text: str
    numbers: tuple[str, ...] = ()


def _step(raw: object, region: str) -> Step:
    if not isinstance(raw, dict):
        raise ValueError(f"{region}: every missing step must be an object")
    step_id, text, numbers = raw.get("id"), raw.get("text"), raw.get("numbers", [])
    if not isinstance(step_id, str) or not step_id or not isinstance(text, str) or not text:
        raise ValueError(f"{region}: a missing step needs an id and a text")
    if not isinstance(numbers, list) or not all(isinstance(n, str) and n for n in numbers):
        raise ValueError(f"{region}: missing step {step_id!r} has bad numbers")
    return Step(step_id, text, tuple(numbers))


@cache
def load_missing_steps(region: str) -> tuple[Step, ...]:
    """The region's steps, in order; raises `UnknownRegionError` for an unknown region and
    `ValueError` for a region that lists none."""
    code = load_contacts(region).region
    data = json.loads((CONTACTS_DIR / f"{code}.json").read_text(encoding="utf-8"))
    raw = data.get("missing_steps")
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{code}.json: 'missing_steps' must be a non-empty list")
    return tuple(_step(item, code) for item in raw)
