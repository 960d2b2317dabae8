"""Translation glue: gettext catalogs per locale, chosen per update."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a module-level string for extraction; it is translated later, when rendered."""
    return message
