"""Every message a child can read, renderable in any locale: for the translation tests.

Anything added to a child's screen belongs here, so that a test can render it in every locale
and catch English shown to a child whose language is not English.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial

from bot import (
    alerting,
    basics,
    interpreter_texts,
    journeying,
    menus,
    missing_texts,
    notices,
    privacy,
    translating,
    watching,
)
from bot.content import Passage, journey_content
from bot.i18n import Translator
from conversations.journey import STAGE_ORDER
from conversations.outgoing import Outgoing
from conversations.windows import Window

Render = Callable[[Translator], Outgoing]


def _text(render: Callable[[Translator], str]) -> Render:
    return lambda tr: Outgoing(text=render(tr))


def _journey() -> Iterator[tuple[str, Render]]:
    journey = journey_content("uk")
    for stage in STAGE_ORDER:
        yield f"stage:{stage.value}", partial(journeying.explain, journey=journey, stage=stage)
        yield f"stage_more:{stage.value}", partial(journeying.more, text=journey.stages[stage])
    for topic in journey.topics:
        yield f"topic:{topic.id}", partial(_passage, title=topic.title, body=topic.body)
    for entry in journey.glossary:
        yield f"glossary:{entry.term}", partial(_passage, title=entry.term, body=entry.meaning)


def _passage(tr: Translator, title: Passage, body: Passage) -> Outgoing:
    return Outgoing(text=f"{title.render(tr)}\n\n{body.render(tr)}")


_AT = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)
_WINDOW = Window("W", "C", "S", "ti", (), "open", "I", _AT, _AT + timedelta(hours=2))


def child_texts() -> dict[str, Render]:
    texts: dict[str, Render] = {
        "stranger": notices.stranger,
        "linked": lambda tr: notices.linked(tr, "Sam"),
        "already_linked": lambda tr: notices.already_linked(tr, "Sam"),
        "code_unknown": notices.code_unknown,
        "code_used": notices.code_used,
        "code_expired": notices.code_expired,
        "throttled_1": lambda tr: notices.throttled(tr, 1),
        "throttled_7": lambda tr: notices.throttled(tr, 7),
        "child_help": lambda tr: notices.child_help(tr, "Sam"),
        "child_help_none": lambda tr: notices.child_help(tr, None),
        "not_for_you": notices.not_for_you,
        "unsupported": notices.unsupported,
        "waiting_for_advocate": notices.waiting_for_advocate,
        "advocate_away": lambda tr: notices.advocate_away(tr, "Sam", "4/1/27, 09:00"),
        "choose_language": notices.choose_language,
        "language_set": notices.language_set,
        "help_now_label": _text(notices.help_now_label),
        "next_label": _text(notices.next_label),
        "about_label": _text(notices.about_label),
        "language_label": _text(notices.language_label),
        "clear_label": _text(notices.clear_label),
        "my_data_label": _text(notices.my_data_label),
        "privacy_notice": lambda tr: privacy.notice(tr, 365),
        "privacy_notice_1": lambda tr: privacy.notice(tr, 1),
        "emergency": lambda tr: alerting.emergency_message(tr, "uk", help_now=False),
        "emergency_help_now": lambda tr: alerting.emergency_message(tr, "uk", help_now=True),
        "check_in": lambda tr: watching.check_in_message(tr, "X"),
        "missing": lambda tr: missing_texts.to_child(tr, "X"),
        "missing_thanks": missing_texts.child_thanked,
        "interpreter_told_1": lambda tr: interpreter_texts.child_told(tr, "Sam", _WINDOW, 1),
        "interpreter_told_2": lambda tr: interpreter_texts.child_told(tr, "Sam", _WINDOW, 2),
        "interpreter_header": _text(lambda tr: interpreter_texts.to_child_header(tr, "Sam")),
        "interpreter_closed": interpreter_texts.child_closed,
        "whoami": lambda tr: basics.your_id(tr, 123456789, stranger=False),
        "whoami_stranger": lambda tr: basics.your_id(tr, 123456789, stranger=True),
        "translated": lambda tr: translating.for_child(tr, "Sam, 10:00"),
        "translation_missing": translating.missing_for_child,
        "menu": _text(
            lambda tr: "\n".join(text for _, text in menus.menu(tr, None).extra["commands"])
        ),
    }
    texts.update(_journey())
    return texts
