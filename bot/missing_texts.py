"""What a missing episode and the missing-person profile say, to each reader in their language.

The young person's message names nothing: not the service, not what they went through, not
that anyone thinks they are missing. The profile released to the police is in English.
"""

from __future__ import annotations

from datetime import datetime

from bot import notices
from bot.callbacks import MissingAction, MissingAnswer
from bot.i18n import N_, Translator
from conversations.episodes import Episode, Profile
from conversations.outgoing import Button, Outgoing
from conversations.people import ChildView
from safety.missing_steps import Step, load_missing_steps

LABELS = {
    "description": N_("Description"),
    "places": N_("Places they may go"),
    "people": N_("People"),
    "accounts": N_("Phone and social accounts"),
    "photo": N_("Recent photo"),
}
HOW = {
    "returned": N_("Returned by themselves"),
    "police": N_("Found by police"),
    "staff_family": N_("Found by staff or family"),
    "other": N_("Other"),
}


# The young person -----------------------------------------------------------------------------


def to_child(tr: Translator, episode_id: str) -> Outgoing:
    return Outgoing(
        text=tr._("You are not in trouble. If you can, tell us you are safe."),
        buttons=(
            (
                Button(tr._("✅ I'm safe"), data=MissingAnswer(episode_id, "safe").encode()),
                Button(notices.help_now_label(tr), data=MissingAnswer(episode_id, "help").encode()),
            ),
        ),
    )


def child_thanked(tr: Translator) -> Outgoing:
    return Outgoing(text=tr._("Thank you. We are glad you are safe. You can write here any time."))


# Staff ----------------------------------------------------------------------------------------


def _who(child: ChildView) -> dict[str, str]:
    return {"nickname": child.nickname, "ref": child.ref}


def usage(tr: Translator) -> Outgoing:
    return Outgoing(
        text=tr._(
            "Use /missing REF, /found REF or /profile REF with the reference of one of your "
            "young people."
        )
    )


def opened(tr: Translator, child: ChildView) -> Outgoing:
    return Outgoing(
        text=tr._(
            "Missing episode opened for {nickname} · {ref}. Supervisors have been alerted.",
            **_who(child),
        )
    )


def already(tr: Translator, child: ChildView, episode: Episode) -> Outgoing:
    return Outgoing(
        text=tr._(
            "{nickname} · {ref} is already missing, since {time}. Use /found {ref} when they "
            "are found.",
            time=tr.datetime(episode.opened_at),
            **_who(child),
        )
    )


def _step(tr: Translator, step: Step, child: ChildView) -> str:
    if step.id == "police" and len(step.numbers) == 2:
        return tr._(
            "Report them missing to the police: {danger} if they may be in danger now, "
            "otherwise {other}. Ask for the reference number.",
            danger=step.numbers[0],
            other=step.numbers[1],
        )
    if step.id == "social_worker":
        return tr._("Tell their social worker, or the out-of-hours duty team.")
    if step.id == "profile":
        return tr._(
            "Share the missing-person profile with the police: /profile {ref} release.",
            ref=child.ref,
        )
    if step.id == "last_seen":
        return tr._("Write down when and where they were last seen, with whom, and what they wore.")
    return step.text


def checklist(tr: Translator, child: ChildView, region: str) -> Outgoing:
    steps = [f"☐ {_step(tr, step, child)}" for step in load_missing_steps(region)]
    head = tr._("{nickname} · {ref} is missing. Steps to take now:", **_who(child))
    release = Button(
        tr._("Release the profile to police"), data=MissingAction("release", child.id).encode()
    )
    return Outgoing(text="\n".join([head, *steps]), buttons=((release,),))


def still_missing(tr: Translator, child: ChildView, since: datetime) -> Outgoing:
    """Their case stays open while they are missing: an answer to /close, and what the readers
    hear when a case closed while they were missing is opened again instead of erased."""
    return Outgoing(
        text=tr._(
            "{nickname} · {ref} is still marked missing, since {time}: their case stays open "
            "and their record is kept. Use /found {ref} when they are found; then the case "
            "can be closed.",
            time=tr.datetime(since),
            **_who(child),
        )
    )


def safe(tr: Translator, child: ChildView, at: datetime) -> Outgoing:
    return Outgoing(
        text=tr._(
            "✅ {nickname} · {ref} pressed I'm safe at {time}. They stay marked missing until "
            "someone uses /found {ref}.",
            time=tr.time(at),
            **_who(child),
        )
    )


def not_missing(tr: Translator, child: ChildView) -> Outgoing:
    return Outgoing(
        text=tr._(
            "{nickname} · {ref} is not marked missing. Use /missing {ref} to open an episode.",
            **_who(child),
        )
    )


def found(tr: Translator, child: ChildView, episode: Episode) -> Outgoing:
    rows = tuple(
        (Button(tr._(label), data=MissingAction(how, episode.id).encode()),)  # type: ignore[arg-type]
        for how, label in HOW.items()
    )
    return Outgoing(
        text=tr._("{nickname} · {ref} is marked found. How were they found?", **_who(child)),
        buttons=rows,
    )


def found_to_others(tr: Translator, child: ChildView) -> Outgoing:
    return Outgoing(
        text=tr._("{nickname} · {ref} was found. The missing episode is closed.", **_who(child))
    )


def _interview_buttons(tr: Translator, episode: Episode) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button(tr._("Interview done"), data=MissingAction("done", episode.id).encode()),
            Button(
                tr._("Declined by the young person"),
                data=MissingAction("declined", episode.id).encode(),
            ),
        ),
    )


def interview_due(tr: Translator, child: ChildView, episode: Episode) -> Outgoing:
    return Outgoing(
        text=tr._(
            "Recorded. A return interview with {nickname} · {ref} is due by {time}. Record it "
            "here when it is done.",
            time=tr.datetime(episode.interview_due_at),
            **_who(child),
        ),
        buttons=_interview_buttons(tr, episode),
    )


def reminder(tr: Translator, child: ChildView, episode: Episode, overdue: bool) -> Outgoing:
    values = {"time": tr.datetime(episode.interview_due_at), **_who(child)}
    text = (
        "⚠️ "
        + tr._(
            "The return interview with {nickname} · {ref} is overdue: it was due by {time}.",
            **values,
        )
        if overdue
        else tr._(
            "Reminder: the return interview with {nickname} · {ref} is due by {time}.", **values
        )
    )
    return Outgoing(text=text, buttons=_interview_buttons(tr, episode))


def interview_recorded(tr: Translator, child: ChildView, outcome: str | None) -> Outgoing:
    if outcome is None:
        return Outgoing(text=tr._("The return interview was already recorded."))
    if outcome == "done":
        text = tr._(
            "Recorded: the return interview with {nickname} · {ref} is done.", **_who(child)
        )
    else:
        text = tr._("Recorded: {nickname} · {ref} declined the return interview.", **_who(child))
    return Outgoing(text=text)


# The profile ----------------------------------------------------------------------------------


def profile(tr: Translator, child: ChildView, kept: Profile) -> Outgoing:
    lines = [tr._("Missing-person profile of {nickname} · {ref}", **_who(child)), ""]
    for name, label in LABELS.items():
        value = kept.fields.get(name)
        if name == "photo" and value:
            value = "✓"
        lines.append(f"{tr._(label)}: {value or '—'}")
    lines += [
        "",
        tr._(
            "Set a field: /profile {ref} description TEXT (or places, people, accounts). For "
            "the photo, reply to this message with a recent photo. To hand it to the police "
            "while they are missing: /profile {ref} release.",
            ref=child.ref,
        ),
    ]
    return Outgoing(text="\n".join(lines))


def saved(tr: Translator, child: ChildView) -> Outgoing:
    return Outgoing(text=tr._("Saved to the profile of {nickname} · {ref}.", **_who(child)))


def photo_only(tr: Translator) -> Outgoing:
    return Outgoing(
        text=tr._(
            "Nothing was sent. Reply to the profile with a photo only; set the other fields "
            "with /profile REF FIELD TEXT."
        )
    )


def release_refused(tr: Translator, child: ChildView) -> Outgoing:
    return Outgoing(
        text=tr._(
            "The profile can be released only while {nickname} · {ref} is missing.", **_who(child)
        )
    )


def released(
    en: Translator, child: ChildView, kept: Profile, episode: Episode, *, by: str, now: datetime
) -> str:
    """The profile as the police will read it: in English, whoever releases it."""
    lines = [
        en._("Missing-person profile of {nickname} · {ref}", **_who(child)),
        en._(
            "Missing since {time}. Released by {name} at {now}.",
            time=en.datetime(episode.opened_at),
            name=by,
            now=en.datetime(now),
        ),
        "",
    ]
    for name, label in LABELS.items():
        if name != "photo":
            lines.append(f"{en._(label)}: {kept.fields.get(name) or '—'}")
    return "\n".join(lines)
