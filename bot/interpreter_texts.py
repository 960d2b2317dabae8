"""What interpreters, the staff who ask for them, and young people read about interpreting.

Each function takes the reader's translator. What a young person reads names neither the
service nor why they are here: only who is reading and until when.
"""

from __future__ import annotations

from datetime import datetime

from bot.i18n import SUPPORTED, Translator
from conversations.outgoing import Outgoing
from conversations.people import ChildView, StaffView
from conversations.windows import Window


def language_name(code: str) -> str:
    return SUPPORTED[code].native if code in SUPPORTED else code


def languages(codes: tuple[str, ...]) -> str:
    return ", ".join(language_name(code) for code in codes)


# For staff who ask -------------------------------------------------------------------------------


def usage(tr: Translator) -> Outgoing:
    return Outgoing(
        text=tr._(
            "Use: /interpreter REF to ask for an interpreter for a young person, or "
            "/interpreter REF end to end their time."
        )
    )


def none_free(tr: Translator, child: ChildView, *, nobody: bool) -> Outgoing:
    language = language_name(child.locale)
    if nobody:
        return Outgoing(
            text=tr._(
                "No interpreter for {language} is enrolled. A supervisor can enrol one with "
                "/enrol interpreter NAME LANGUAGES.",
                language=language,
            )
        )
    return Outgoing(
        text=tr._(
            "Every interpreter for {language} is busy now. Please try again later.",
            language=language,
        )
    )


def asked(tr: Translator, child: ChildView, count: int) -> Outgoing:
    return Outgoing(
        text=tr.n_(
            "I asked {n} interpreter for {language} to help with {ref}. I will tell you when "
            "one accepts.",
            "I asked {n} interpreters for {language} to help with {ref}. I will tell you when "
            "one accepts.",
            count,
            language=language_name(child.locale),
            ref=child.ref,
        )
    )


def already(
    tr: Translator, child: ChildView, window: Window, interpreter: StaffView | None
) -> Outgoing:
    if interpreter is None:
        return Outgoing(
            text=tr._(
                "I am still waiting for an interpreter to accept for {ref}. "
                "/interpreter {ref} end withdraws the request.",
                ref=child.ref,
            )
        )
    return Outgoing(
        text=tr._(
            "{name} is already interpreting for {ref} until {time}.",
            name=interpreter.name,
            ref=child.ref,
            time=tr.time(window.ends_at),
        )
    )


def accepted(tr: Translator, interpreter: StaffView, child: ChildView, window: Window) -> Outgoing:
    return Outgoing(
        text=tr._(
            "{name} is now interpreting for {nickname} · {ref} until {time}. They read the "
            "conversation both ways and can answer. /interpreter {ref} end ends it sooner.",
            name=interpreter.name,
            nickname=child.nickname,
            ref=child.ref,
            time=tr.time(window.ends_at),
        )
    )


def nothing_to_end(tr: Translator, child: ChildView) -> Outgoing:
    return Outgoing(text=tr._("{ref} has no interpreter now.", ref=child.ref))


def asker_closed(tr: Translator, child: ChildView, *, lapsed: bool) -> Outgoing:
    if lapsed:
        return Outgoing(
            text=tr._(
                "No interpreter took the request for {nickname} · {ref}. You can ask again "
                "with /interpreter {ref}.",
                nickname=child.nickname,
                ref=child.ref,
            )
        )
    return Outgoing(
        text=tr._(
            "The interpreter's time with {nickname} · {ref} has ended.",
            nickname=child.nickname,
            ref=child.ref,
        )
    )


def to_staff_header(tr: Translator, interpreter: StaffView, child: ChildView) -> str:
    return tr._(
        "🗣 Interpreter {name}, about {nickname} · {ref}:",
        name=interpreter.name,
        nickname=child.nickname,
        ref=child.ref,
    )


def answer_copy(tr: Translator, interpreter: StaffView, child: ChildView) -> str:
    return tr._(
        "🗣 Interpreter {name} to {nickname} · {ref}:",
        name=interpreter.name,
        nickname=child.nickname,
        ref=child.ref,
    )


def reply_to_interpreter(tr: Translator) -> Outgoing:
    return Outgoing(
        text=tr._(
            "That message is from the interpreter. They read what you write to the young "
            "person; a reply to the interpreter alone is not possible."
        )
    )


# For interpreters --------------------------------------------------------------------------------


def offer(tr: Translator, asker: StaffView, child: ChildView, hours: int) -> str:
    return tr.n_(
        "{name} asks for an interpreter for {language} for a young person ({ref}), for {n} "
        "hour from when you accept.",
        "{name} asks for an interpreter for {language} for a young person ({ref}), for {n} "
        "hours from when you accept.",
        hours,
        name=asker.name,
        language=language_name(child.locale),
        ref=child.ref,
    )


def taken(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._("Another interpreter has taken this request. Thank you."))


def offer_closed(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._("A request for an interpreter you were sent is no longer open."))


def busy(tr: Translator) -> Outgoing:
    return Outgoing(
        text=tr._(
            "You are interpreting for another young person now. End that first with "
            "/interpreter end."
        )
    )


def you_interpret(tr: Translator, child: ChildView, window: Window, hours: int) -> Outgoing:
    return Outgoing(
        text=tr.n_(
            "You are interpreting for {nickname} · {ref} for {n} hour, until {time}. You will "
            "see their messages and what staff write to them. Reply to a message to answer "
            "the young person or the staff member who wrote it; a message that is not a reply "
            "goes to the young person. /interpreter end ends it.",
            "You are interpreting for {nickname} · {ref} for {n} hours, until {time}. You will "
            "see their messages and what staff write to them. Reply to a message to answer "
            "the young person or the staff member who wrote it; a message that is not a reply "
            "goes to the young person. /interpreter end ends it.",
            hours,
            nickname=child.nickname,
            ref=child.ref,
            time=tr.time(window.ends_at),
        )
    )


def view_of_child(tr: Translator, child: ChildView, at: datetime) -> str:
    return tr._(
        "🗣 Interpreter's view · {nickname} · {ref} · {time}",
        nickname=child.nickname,
        ref=child.ref,
        time=tr.time(at),
    )


def view_of_staff(tr: Translator, author: StaffView, child: ChildView, at: datetime) -> str:
    return tr._(
        "🗣 Interpreter's view · {name} to {nickname} · {time}",
        name=author.name,
        nickname=child.nickname,
        time=tr.time(at),
    )


def interpreter_closed(tr: Translator, child: ChildView) -> Outgoing:
    return Outgoing(
        text=tr._(
            "Your time interpreting for {nickname} · {ref} has ended. Thank you.",
            nickname=child.nickname,
            ref=child.ref,
        )
    )


def refused(tr: Translator) -> Outgoing:
    return Outgoing(
        text=tr._(
            "As an interpreter you can only read and answer the conversation you are "
            "interpreting, while it is open."
        )
    )


def interpreter_enrol_usage(tr: Translator) -> Outgoing:
    return Outgoing(
        text=tr._(
            "Use: /enrol interpreter NAME LANGUAGES, for example /enrol interpreter Selam ti,am. "
            "The languages are codes from: {codes}.",
            codes=" ".join(SUPPORTED),
        )
    )


def interpreter_usage(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._("Use: /interpreter end to end your time interpreting now."))


def interpreter_introduction(tr: Translator, staff: StaffView) -> list[str]:
    """What comes before an interpreter's commands in their /help."""
    return [
        tr._(
            "You are enrolled as an interpreter for: {languages}.",
            languages=languages(staff.languages),
        ),
        "",
        tr._(
            "When an advocate asks for an interpreter in your language, I send you the request "
            "with an Accept button."
        ),
        tr._(
            "While you interpret, reply to a message to answer the young person or the staff "
            "member who wrote it. A message that is not a reply goes to the young person."
        ),
    ]


# For the young person ----------------------------------------------------------------------------


def child_told(tr: Translator, name: str, window: Window, hours: int) -> Outgoing:
    return Outgoing(
        text=tr.n_(
            "An interpreter, {name}, is helping you and your advocate understand each other "
            "for the next {n} hour, until {time}. They can read this chat and write to you.",
            "An interpreter, {name}, is helping you and your advocate understand each other "
            "for the next {n} hours, until {time}. They can read this chat and write to you.",
            hours,
            name=name,
            time=tr.time(window.ends_at),
        )
    )


def to_child_header(tr: Translator, name: str) -> str:
    return tr._("Interpreter {name}:", name=name)


def child_closed(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._("The interpreter is no longer reading this chat."))
