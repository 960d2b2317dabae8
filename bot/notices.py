"""Every message the bot itself writes, rendered for its reader in the reader's language.

Child-facing texts are short, plain and kind, and never name the service or its purpose in a way
that would endanger a child if someone else read their phone. Each function returns an
`Outgoing`; the registry `CHILD_FACING` lets tests render all of them in every locale.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.i18n import LANGUAGES, SUPPORTED, Translator
from conversations.outgoing import Button, Outgoing
from conversations.people import ChildView, StaffView

# Child keyboard --------------------------------------------------------------------------------


def help_now_label(tr: Translator) -> str:
    return tr._("🆘 Help now")


def language_label(tr: Translator) -> str:
    return tr._("🌐 Language")


def clear_label(tr: Translator) -> str:
    return tr._("🧹 Clear chat")


def next_label(tr: Translator) -> str:
    return tr._("🧭 What happens next?")


def about_label(tr: Translator) -> str:
    return tr._("📋 About me")


def child_keyboard(tr: Translator) -> tuple[tuple[str, ...], ...]:
    return ((help_now_label(tr),), (next_label(tr), about_label(tr)),
            (language_label(tr), clear_label(tr)))


def stranger_keyboard(tr: Translator) -> tuple[tuple[str, ...], ...]:
    return ((help_now_label(tr),),)


# Child-facing ------------------------------------------------------------------------------------


def stranger(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._(
        "Hello. To use this chat you need a code from the adult who is helping you. "
        "If you have a code, send it here. If not, please ask them for one.\n\n"
        "If you are in danger now, press “Help now”."), keyboard=stranger_keyboard(tr))


def linked(tr: Translator, advocate: str) -> Outgoing:
    return Outgoing(
        text=tr._(
            "Hello! You are now connected to {advocate}. They are on your side.\n\n"
            "Write here any time, in your own language. {advocate} will read it and answer.\n\n"
            "If you are in danger, press “Help now”.", advocate=advocate),
        keyboard=child_keyboard(tr))


def already_linked(tr: Translator, advocate: str) -> Outgoing:
    return Outgoing(text=tr._("You are already connected to {advocate}. Just write here.",
                              advocate=advocate), keyboard=child_keyboard(tr))


def code_unknown(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._(
        "That code does not work. Please check it, or ask the adult who gave it to you "
        "for a new one."))


def code_used(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._(
        "That code was already used. Each code works only once. Please ask for a new one."))


def code_expired(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._(
        "That code is too old now. Please ask the adult who gave it to you for a new one."))


def throttled(tr: Translator, minutes: int) -> Outgoing:
    return Outgoing(text=tr.n_(
        "Too many tries. Please wait {n} minute, then try again.",
        "Too many tries. Please wait {n} minutes, then try again.", minutes))


def child_help(tr: Translator, advocate: str | None) -> Outgoing:
    if advocate is None:
        text = tr._("Write here any time. A person will read it and answer.")
    else:
        text = tr._("Write here any time. {advocate} will read it and answer.", advocate=advocate)
    return Outgoing(text=text + "\n\n" + tr._(
        "“Help now”: if you are in danger or need help right away.\n"
        "“What happens next?”: what is happening now, and what comes next.\n"
        "“About me”: what is written down about you.\n"
        "“Language”: choose the language I use.\n"
        "“Clear chat”: remove our messages from this phone."), keyboard=child_keyboard(tr))


def not_for_you(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._("I cannot do that here. Just write your message."))


def unsupported(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._(
        "Sorry, I cannot pass this on. Please send words, a photo, a voice message, "
        "a video or a file."))


def waiting_for_advocate(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._("Your message is saved. A person will answer you soon."))


def choose_language(tr: Translator) -> Outgoing:
    rows = [tuple(Button(lang.native, data=f"lang:{lang.code}") for lang in LANGUAGES[i:i + 3])
            for i in range(0, len(LANGUAGES), 3)]
    return Outgoing(text=tr._("Choose your language:"), buttons=tuple(rows))


def language_set(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._("OK. I will write to you in {language}.",
                              language=SUPPORTED[tr.locale].native),
                    keyboard=child_keyboard(tr))


def from_advocate_header(tr: Translator, name: str) -> str:
    return tr._("{name}:", name=name)


CHILD_FACING: dict[str, Callable[[Translator], Outgoing]] = {
    "stranger": stranger,
    "linked": lambda tr: linked(tr, "Sam"),
    "already_linked": lambda tr: already_linked(tr, "Sam"),
    "code_unknown": code_unknown,
    "code_used": code_used,
    "code_expired": code_expired,
    "throttled_1": lambda tr: throttled(tr, 1),
    "throttled_7": lambda tr: throttled(tr, 7),
    "child_help": lambda tr: child_help(tr, "Sam"),
    "child_help_none": lambda tr: child_help(tr, None),
    "not_for_you": not_for_you,
    "unsupported": unsupported,
    "waiting_for_advocate": waiting_for_advocate,
    "choose_language": choose_language,
    "language_set": language_set,
    "help_now_label": lambda tr: Outgoing(text=help_now_label(tr)),
    "language_label": lambda tr: Outgoing(text=language_label(tr)),
    "clear_label": lambda tr: Outgoing(text=clear_label(tr)),
    "next_label": lambda tr: Outgoing(text=next_label(tr)),
    "about_label": lambda tr: Outgoing(text=about_label(tr)),
}

# Staff-facing ------------------------------------------------------------------------------------


def staff_help(tr: Translator, staff: StaffView) -> Outgoing:
    lines = [
        tr._("You are enrolled as {role}.", role=tr._("a supervisor") if staff.is_supervisor
             else tr._("an advocate")),
        "",
        tr._("/invite NICKNAME: make a single-use code, link and QR code for a young person."),
        tr._("/children: your young people and their references."),
        tr._("/stage REF: set where a young person is in their journey; they are told what "
             "it means."),
        tr._("/note REF text: add a private note. /notes REF: read the notes."),
        tr._("/summary REF text: write their story so far for them to approve."),
        tr._("/handover REF NAME: hand a young person over to a colleague."),
        tr._("/placed REF: a new placement; I check in with them daily for 7 days."),
        tr._("/alerts: open safety alerts. /resolve REF outcome: close one."),
        tr._("To answer a young person, reply to their message. "
             "A plain message goes to your only young person, or I ask which one."),
        tr._("/help: this list."),
    ]
    return Outgoing(text="\n".join(lines))


def invite_created(tr: Translator, nickname: str, code: str, link: str, expires: datetime
                   ) -> list[Outgoing]:
    text = tr._(
        "Invite for {nickname}.\nCode: {code}\nLink: {link}\n\n"
        "It works once and ends {when}. Show the QR code in person if you can.",
        nickname=nickname, code=code, link=link, when=tr.datetime(expires))
    return [Outgoing(kind="qr", text=tr._("QR code for {nickname}", nickname=nickname),
                     extra={"link": link}),
            Outgoing(text=text)]


def relay_header(tr: Translator, child: ChildView, at: datetime, marks: str = "") -> str:
    language = SUPPORTED[child.locale].native if child.locale in SUPPORTED else child.locale
    return tr._("{marks}{nickname} · {ref} · {language} · {time}", marks=marks,
                nickname=child.nickname, ref=child.ref, language=language, time=tr.time(at))


def correction_header(tr: Translator, child: ChildView, at: datetime) -> str:
    return tr._("✏️ Correction from {nickname} · {ref} · {time}:", nickname=child.nickname,
                ref=child.ref, time=tr.time(at))


def pick_child(tr: Translator, pending_id: str, children: list[ChildView]) -> Outgoing:
    rows = tuple((Button(f"{c.nickname} · {c.ref}", data=f"to:{pending_id}:{c.ref}"),)
                 for c in children)
    return Outgoing(text=tr._("Which young person is this for?"), buttons=rows)


def sent_to(tr: Translator, child: ChildView) -> Outgoing:
    return Outgoing(text=tr._("Sent to {nickname} · {ref}.", nickname=child.nickname,
                              ref=child.ref))


def no_children(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._("You have no young people linked yet. Use /invite to make a code."))


def children_list(tr: Translator, children: list[ChildView]) -> Outgoing:
    lines = [tr.n_("You have {n} young person:", "You have {n} young people:", len(children))]
    for child in children:
        language = SUPPORTED[child.locale].native if child.locale in SUPPORTED else child.locale
        mark = " ⚠" if child.unreachable else ""
        lines.append(f"• {child.nickname} · {child.ref} · {language}{mark}")
    return Outgoing(text="\n".join(lines))


def cannot_reach(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._("That young person is not one you can write to."))


def choice_expired(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._("That choice is no longer open. Please send your message again."))


def staff_unknown_command(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._("I do not know that command. Send /help to see what you can do."))


def dead_letter(tr: Translator, ref: str | None, purpose: str, attempts: int) -> Outgoing:
    if ref is None:
        text = tr.n_("A message ({purpose}) could not be delivered after {n} try.",
                     "A message ({purpose}) could not be delivered after {n} tries.",
                     attempts, purpose=purpose)
    else:
        text = tr.n_("A message ({purpose}) for {ref} could not be delivered after {n} try.",
                     "A message ({purpose}) for {ref} could not be delivered after {n} tries.",
                     attempts, purpose=purpose, ref=ref)
    return Outgoing(text="⚠️ " + text)


def child_unreachable(tr: Translator, child: ChildView) -> Outgoing:
    return Outgoing(text="⚠️ " + tr._(
        "{nickname} · {ref} has blocked or deleted this chat. Messages cannot reach them. "
        "Someone else may have their phone: please check on them another way.",
        nickname=child.nickname, ref=child.ref))
