"""Every message the bot itself writes, rendered for its reader in the reader's language.

Child-facing texts are short, plain and kind, and never name the service or its purpose in a way
that would endanger a child if someone else read their phone. Each function returns an
`Outgoing`; the registry `CHILD_FACING` lets tests render all of them in every locale.
"""

from __future__ import annotations

from datetime import datetime

from babel.numbers import format_decimal

from bot.callbacks import LanguageChoice, MissingAction, SendTo
from bot.i18n import LANGUAGES, N_, SUPPORTED, Translator, babel_locale
from conversations.outgoing import Button, Outgoing
from conversations.people import ChildView, StaffView

# Child keyboard --------------------------------------------------------------------------------


# Button names, and the words that mention them, come from one string each, so a child is
# never told to press a button that reads differently.
HELP_NOW = N_("Help now")
NEXT = N_("What happens next?")
ABOUT = N_("About me")
LANGUAGE = N_("Language")
CLEAR = N_("Clear chat")
MY_DATA = N_("My data")


def help_now_label(tr: Translator) -> str:
    return "🆘 " + tr._(HELP_NOW)


def language_label(tr: Translator) -> str:
    return "🌐 " + tr._(LANGUAGE)


def clear_label(tr: Translator) -> str:
    return "🧹 " + tr._(CLEAR)


def next_label(tr: Translator) -> str:
    return "🧭 " + tr._(NEXT)


def about_label(tr: Translator) -> str:
    return "📋 " + tr._(ABOUT)


def my_data_label(tr: Translator) -> str:
    return "🔒 " + tr._(MY_DATA)


def in_danger(tr: Translator) -> str:
    return tr._("If you are in danger now, press “{button}”.", button=tr._(HELP_NOW))


def child_keyboard(tr: Translator) -> tuple[tuple[str, ...], ...]:
    return (
        (help_now_label(tr),),
        (next_label(tr),),
        (about_label(tr), my_data_label(tr)),
        (language_label(tr), clear_label(tr)),
    )


def stranger_keyboard(tr: Translator) -> tuple[tuple[str, ...], ...]:
    return ((help_now_label(tr),),)


# Child-facing ------------------------------------------------------------------------------------


def stranger(tr: Translator) -> Outgoing:
    return Outgoing(
        text=tr._(
            "Hello. To use this chat you need a code from the adult who is helping you. "
            "If you have a code, send it here. If not, please ask them for one."
        )
        + "\n\n"
        + in_danger(tr),
        keyboard=stranger_keyboard(tr),
    )


def linked(tr: Translator, advocate: str) -> Outgoing:
    return Outgoing(
        text=tr._(
            "Hello! You are now connected to {advocate}. They are on your side.\n\n"
            "Write here any time, in your own language. {advocate} will read it and answer.",
            advocate=advocate,
        )
        + "\n\n"
        + in_danger(tr),
        keyboard=child_keyboard(tr),
    )


def already_linked(tr: Translator, advocate: str) -> Outgoing:
    return Outgoing(
        text=tr._("You are already connected to {advocate}. Just write here.", advocate=advocate),
        keyboard=child_keyboard(tr),
    )


def code_unknown(tr: Translator) -> Outgoing:
    return Outgoing(
        text=tr._(
            "That code does not work. Please check it, or ask the adult who gave it to you "
            "for a new one."
        )
    )


def code_used(tr: Translator) -> Outgoing:
    return Outgoing(
        text=tr._(
            "That code was already used. Each code works only once. Please ask for a new one."
        )
    )


def code_expired(tr: Translator) -> Outgoing:
    return Outgoing(
        text=tr._(
            "That code is too old now. Please ask the adult who gave it to you for a new one."
        )
    )


def throttled(tr: Translator, minutes: int) -> Outgoing:
    return Outgoing(
        text=tr.n_(
            "Too many tries. Please wait {n} minute, then try again.",
            "Too many tries. Please wait {n} minutes, then try again.",
            minutes,
        )
    )


def child_help(tr: Translator, advocate: str | None) -> Outgoing:
    if advocate is None:
        text = tr._("Write here any time. A person will read it and answer.")
    else:
        text = tr._("Write here any time. {advocate} will read it and answer.", advocate=advocate)
    lines = [
        tr._("“{button}”: if you are in danger or need help right away.", button=tr._(HELP_NOW)),
        tr._("“{button}”: what is happening now, and what comes next.", button=tr._(NEXT)),
        tr._("“{button}”: what is written down about you.", button=tr._(ABOUT)),
        tr._("“{button}”: what we keep, who sees it, and for how long.", button=tr._(MY_DATA)),
        tr._("“{button}”: choose the language I use.", button=tr._(LANGUAGE)),
        tr._("“{button}”: remove our messages from this phone.", button=tr._(CLEAR)),
    ]
    return Outgoing(text=text + "\n\n" + "\n".join(lines), keyboard=child_keyboard(tr))


def not_for_you(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._("I cannot do that here. Just write your message."))


def unsupported(tr: Translator) -> Outgoing:
    return Outgoing(
        text=tr._(
            "Sorry, I cannot pass this on. Please send words, a photo, a voice message, "
            "a video or a file."
        )
    )


def waiting_for_advocate(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._("Your message is saved. A person will answer you soon."))


def choose_language(tr: Translator) -> Outgoing:
    rows = [
        tuple(
            Button(lang.native, data=LanguageChoice(lang.code).encode())
            for lang in LANGUAGES[i : i + 3]
        )
        for i in range(0, len(LANGUAGES), 3)
    ]
    return Outgoing(text=tr._("Choose your language:"), buttons=tuple(rows))


def language_set(tr: Translator) -> Outgoing:
    return Outgoing(
        text=tr._("OK. I will write to you in {language}.", language=SUPPORTED[tr.locale].native),
        keyboard=child_keyboard(tr),
    )


def advocate_away(tr: Translator, advocate: str, until: str) -> Outgoing:
    return Outgoing(
        text=tr._(
            "{advocate} is away until {time}. Until then, someone else from the team reads your "
            "messages and will answer you.",
            advocate=advocate,
            time=until,
        )
        + "\n\n"
        + in_danger(tr)
    )


def from_advocate_header(tr: Translator, name: str) -> str:
    return tr._("{name}:", name=name)


# Staff-facing ------------------------------------------------------------------------------------


STATISTICS_USAGE = N_(
    "/stats: figures for commissioners, with no young person named, for the last 12 "
    "months; /stats 2026-01 2026-06 for those months."
)


def statistics_usage(tr: Translator) -> str:
    return tr._(STATISTICS_USAGE)


def staff_help(tr: Translator, staff: StaffView) -> Outgoing:
    """The commands of the table (`bot.command_table`) that this role may use, in its order."""
    # Imported here: the table names the features' handlers, and they send this help.
    from bot.command_table import Who, help_lines

    if staff.is_interpreter:
        from bot.interpreter_texts import interpreter_introduction

        first = interpreter_introduction(tr, staff)
        last: list[str] = []
    else:
        first = [
            tr._("You are enrolled as a supervisor.")
            if staff.is_supervisor
            else tr._("You are enrolled as an advocate.")
        ]
        last = [
            tr._(
                "To answer a young person, reply to their message. "
                "A plain message goes to your only young person, or I ask which one."
            )
        ]
    lines = [tr._(line) for line in help_lines(Who(staff.role.value))]
    return Outgoing(text="\n".join([*first, "", *lines, *last]))


def invite_created(
    tr: Translator, nickname: str, code: str, link: str, expires: datetime
) -> list[Outgoing]:
    text = tr._(
        "Invite for {nickname}.\nCode: {code}\nLink: {link}\n\n"
        "It works once and ends {when}. Show the QR code in person if you can.",
        nickname=nickname,
        code=code,
        link=link,
        when=tr.datetime(expires),
    )
    return [
        Outgoing(
            kind="qr", text=tr._("QR code for {nickname}", nickname=nickname), extra={"link": link}
        ),
        Outgoing(text=text),
    ]


def relay_header(tr: Translator, child: ChildView, at: datetime, marks: str = "") -> str:
    language = SUPPORTED[child.locale].native if child.locale in SUPPORTED else child.locale
    return tr._(
        "{marks}{nickname} · {ref} · {language} · {time}",
        marks=marks,
        nickname=child.nickname,
        ref=child.ref,
        language=language,
        time=tr.time(at),
    )


def correction_header(tr: Translator, child: ChildView, at: datetime) -> str:
    return tr._(
        "✏️ Correction from {nickname} · {ref} · {time}:",
        nickname=child.nickname,
        ref=child.ref,
        time=tr.time(at),
    )


def pick_child(tr: Translator, pending_id: str, children: list[ChildView]) -> Outgoing:
    rows = tuple(
        (Button(f"{c.nickname} · {c.ref}", data=SendTo(pending_id, c.ref).encode()),)
        for c in children
    )
    return Outgoing(text=tr._("Which young person is this for?"), buttons=rows)


def sent_to(tr: Translator, child: ChildView) -> Outgoing:
    return Outgoing(
        text=tr._("Sent to {nickname} · {ref}.", nickname=child.nickname, ref=child.ref)
    )


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


PURPOSES = {
    "relay": N_("a young person's message"),
    "reply": N_("a reply to a young person"),
    "safety": N_("emergency numbers for a young person"),
    "alert": N_("a safety alert"),
    "check_in": N_("a check-in"),
    "notice": N_("a notice"),
    "hide": N_("clearing a chat"),
    "interpreter": N_("a message from an interpreter"),
}


def outage_over(tr: Translator, since: datetime, minutes: int) -> Outgoing:
    """Once per Telegram outage, to supervisors, when it is over (it could not arrive before)."""
    return Outgoing(
        text="⚠️ "
        + tr.n_(
            "Telegram could not be reached for about {n} minute, from {time}. Nothing was lost: "
            "the messages that waited are being sent now.",
            "Telegram could not be reached for about {n} minutes, from {time}. Nothing was lost: "
            "the messages that waited are being sent now.",
            minutes,
            time=tr.time(since),
        )
    )


def dead_letter(tr: Translator, ref: str | None, purpose: str, attempts: int) -> Outgoing:
    purpose = tr._(PURPOSES[purpose]) if purpose in PURPOSES else purpose
    if ref is None:
        text = tr.n_(
            "A message ({purpose}) could not be delivered after {n} try.",
            "A message ({purpose}) could not be delivered after {n} tries.",
            attempts,
            purpose=purpose,
        )
    else:
        text = tr.n_(
            "A message ({purpose}) for {ref} could not be delivered after {n} try.",
            "A message ({purpose}) for {ref} could not be delivered after {n} tries.",
            attempts,
            purpose=purpose,
            ref=ref,
        )
    return Outgoing(text="⚠️ " + text)


def propose_missing(tr: Translator, child: ChildView) -> Button:
    """Offered where silence may mean a young person is gone; an episode opens only if pressed."""
    return Button(tr._("Open a missing episode"), data=MissingAction("open", child.id).encode())


def child_unreachable(tr: Translator, child: ChildView) -> Outgoing:
    """A blocked chat may mean someone else has the phone: the advocate may open a missing
    episode from here (never opened for them)."""
    return Outgoing(
        buttons=((propose_missing(tr, child),),),
        text="⚠️ "
        + tr._(
            "{nickname} · {ref} has blocked or deleted this chat. Messages cannot reach them. "
            "Someone else may have their phone: please check on them another way.",
            nickname=child.nickname,
            ref=child.ref,
        ),
    )


def audit_digest(tr: Translator, rows: int, last_hash: str) -> Outgoing:
    """The daily copy of the audit chain's end, for supervisors' phones: out of reach of anyone
    who edits the server (see `conversations.anchor`)."""
    return Outgoing(
        text=tr.n_(
            "Audit check: {count} entry, ending {hash}. If this number ever goes down, tell the "
            "operator.",
            "Audit check: {count} entries, ending {hash}. If this number ever goes down, tell the "
            "operator.",
            rows,
            count=format_decimal(rows, locale=babel_locale(tr.locale)),
            hash=last_hash[:16],
        )
    )
