"""The privacy notice a young person reads: after linking, and on their *My data* button.

Plain enough for a 12-year-old (held by tests/test_readability.py), in their language, and
silent about what the service is for, in case someone else reads their phone. How long a
record is kept after the case closes comes from ``ALONGSIDE_RETENTION_DAYS``.
"""

from __future__ import annotations

from bot.i18n import Translator
from conversations.outgoing import Outgoing


def notice_text(tr: Translator, days: int) -> str:
    return "🔒 " + tr.n_(
        "What we keep about you: the messages you send here, and notes about how we help you. "
        "They are locked, so other people cannot read them. Only the adult who helps you and "
        "a few people in their team can see them. When our help ends, we delete it all "
        "{n} day later. You can ask to see all of it, or ask us to delete it. Just write to "
        "us here.",
        "What we keep about you: the messages you send here, and notes about how we help you. "
        "They are locked, so other people cannot read them. Only the adult who helps you and "
        "a few people in their team can see them. When our help ends, we delete it all "
        "{n} days later. You can ask to see all of it, or ask us to delete it. Just write to "
        "us here.",
        days,
    )


def notice(tr: Translator, days: int) -> Outgoing:
    return Outgoing(text=notice_text(tr, days))
