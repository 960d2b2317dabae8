"""Emergency contacts per region, kept as data (``safety/contacts/<region>.json``).

The bot layer translates descriptions; this module only gives numbers, opening hours, how to
reach each service (``call`` or ``text``) and an English description. The data is validated when
loaded, so a typo in a phone list fails loudly at start-up rather than when a child needs it.

Note: ``contacts/`` is a data directory next to this module, not a package; for wheels it must be
listed in the project's package data (``safety = ["contacts/*.json", ...]``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final, Literal

__all__ = ["CONTACTS_DIR", "Contact", "RegionContacts", "UnknownRegionError", "load_contacts"]

CONTACTS_DIR: Final = Path(__file__).resolve().parent / "contacts"
_REGION: Final = re.compile(r"[a-z]{2,8}")

ContactKind = Literal["call", "text"]


class UnknownRegionError(ValueError):
    """No contact list exists for the requested region (see ``ALONGSIDE_REGION``)."""


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    name: str
    number: str
    kind: ContactKind
    hours: str
    description: str


@dataclass(frozen=True, slots=True)
class RegionContacts:
    region: str
    name: str
    contacts: tuple[Contact, ...]

    def get(self, contact_id: str) -> Contact:
        """Return one contact by id; raises ``KeyError`` if the region does not list it."""
        for contact in self.contacts:
            if contact.id == contact_id:
                return contact
        raise KeyError(contact_id)

    @property
    def emergency(self) -> Contact:
        """The number to call when a child is in danger right now."""
        return self.get("emergency")


def _contact(raw: object, region: str) -> Contact:
    if not isinstance(raw, dict):
        raise ValueError(f"{region}: every contact must be an object")
    fields = {}
    for key in ("id", "name", "number", "kind", "hours", "description"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{region}: contact field {key!r} must be a non-empty string")
        fields[key] = value
    kind = fields["kind"]
    if kind not in ("call", "text"):
        raise ValueError(f"{region}: contact {fields['id']!r} has unknown kind {kind!r}")
    return Contact(
        id=fields["id"],
        name=fields["name"],
        number=fields["number"],
        kind="call" if kind == "call" else "text",
        hours=fields["hours"],
        description=fields["description"],
    )


@cache
def load_contacts(region: str) -> RegionContacts:
    """Return the contacts for ``region`` (e.g. ``"uk"``); raises :class:`UnknownRegionError`."""
    code = region.strip().lower()
    path = CONTACTS_DIR / f"{code}.json"
    if not _REGION.fullmatch(code) or not path.is_file():
        raise UnknownRegionError(f"no emergency contacts for region {region!r}")
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("region") != code:
        raise ValueError(f"{path.name}: 'region' must be {code!r}")
    raw = data.get("contacts")
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{path.name}: 'contacts' must be a non-empty list")
    contacts = tuple(_contact(c, code) for c in raw)
    if len({c.id for c in contacts}) != len(contacts):
        raise ValueError(f"{path.name}: duplicate contact ids")
    return RegionContacts(region=code, name=str(data.get("name", code)), contacts=contacts)
