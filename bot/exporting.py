"""/export REF: a supervisor receives a young person's whole record as text files, one in the
young person's language and one in English, to give them (subject access).

The record is read by `conversations.subject_access` (audited there); here it is written out.
The files are queued sealed under the young person's key, like every message about them, and
sent as documents (`bot.sending`, kind "file"): to the supervisor only, never to the young
person's chat, where someone else may read it.
"""

from __future__ import annotations

from telegram import Update

from bot.gate import to_staff
from bot.i18n import SUPPORTED, Translator
from bot.missing_texts import HOW, LABELS
from bot.runtime import AlongsideContext
from conversations.episodes import Episode, Profile
from conversations.errors import AccessDenied
from conversations.outgoing import Outgoing
from conversations.subject_access import Line, Record, export_record


def render(tr: Translator, record: Record) -> str:
    child = record.child
    language = SUPPORTED[child.locale].native if child.locale in SUPPORTED else child.locale
    out = [
        tr._("Record of {ref}", ref=child.ref),
        tr._("Name used: {nickname}", nickname=child.nickname),
        tr._("Language: {language}", language=language),
        tr._("Advocate: {name}", name=record.advocate or "-"),
    ]
    if record.closure is not None:
        out.append(
            tr._(
                "Case closed on {closed} ({reason}); to be erased on {date}.",
                closed=tr.datetime(record.closure.closed_at),
                reason=" ".join(filter(None, (record.closure.reason, record.closure.words))),
                date=tr.datetime(record.closure.erase_due_at),
            )
        )
    for span in record.reopened:
        out.append(
            tr._(
                "Case closed on {closed}, reopened on {reopened}.",
                closed=tr.datetime(span.closed_at),
                reopened=tr.datetime(span.reopened_at),
            )
        )
    sections = (
        (tr._("Messages"), record.messages),
        (tr._("Notes"), record.notes),
        (tr._("Story so far"), record.summaries),
        (tr._("Journey stages"), record.stages),
        (tr._("Safety alerts"), record.alerts),
        (tr._("Check-ins"), record.check_ins),
        (tr._("Missing episodes"), [_episode(tr, e) for e in record.episodes]),
        (tr._("Missing-person profile"), _profile(tr, record.profile)),
        (tr._("Audit log entries"), record.audit),
    )
    for title, lines in sections:
        out += ["", f"== {title} ({len(lines)}) =="]
        out += [_line(tr, line) for line in lines] or [tr._("(none)")]
    return "\n".join(out) + "\n"


def _episode(tr: Translator, episode: Episode) -> Line:
    """One episode on one line: when it began, then what happened, as whole phrases."""
    parts = [
        tr._("missing until {time}", time=tr.datetime(episode.closed_at))
        if episode.closed_at
        else tr._("missing, not yet found")
    ]
    if episode.found_how in HOW:
        parts.append(tr._(HOW[episode.found_how]))
    if episode.safe_at:
        parts.append(tr._("said they were safe at {time}", time=tr.datetime(episode.safe_at)))
    if episode.interview_at and episode.interview == "done":
        parts.append(
            tr._("return interview done at {time}", time=tr.datetime(episode.interview_at))
        )
    elif episode.interview_at:
        parts.append(
            tr._("return interview declined at {time}", time=tr.datetime(episode.interview_at))
        )
    elif episode.interview_due_at:
        parts.append(
            tr._("return interview due by {time}", time=tr.datetime(episode.interview_due_at))
        )
    return Line(episode.opened_at, "", " · ".join(parts))


def _profile(tr: Translator, profile: Profile) -> list[Line]:
    """Each field kept, dated when the profile last changed, as staff see it (the photo as a
    mark: the store keeps only Telegram's id for it, which means nothing to a reader)."""
    if profile.updated_at is None:
        return []
    at = profile.updated_at
    return [
        Line(at, tr._(label), "✓" if name == "photo" else profile.fields[name])
        for name, label in LABELS.items()
        if profile.fields.get(name)
    ]


def _line(tr: Translator, line: Line) -> str:
    head = " · ".join(p for p in (tr.datetime(line.at), line.who) if p)
    return f"{head}: {line.text}" if line.text else head


async def export_command(update: Update, ctx: AlongsideContext) -> None:
    staff, tr = ctx.staff, ctx.tr
    try:
        record = await export_record(ctx.uow, staff, (ctx.args or [""])[0].upper())
    except AccessDenied:
        await to_staff(
            ctx,
            staff,
            Outgoing(
                text=tr._(
                    "No young person of yours has that reference. Use: {usage}",
                    usage="/export REF",
                )
            ),
        )
        return
    child = record.child
    for locale in dict.fromkeys((child.locale, "en")):
        reader = ctx.runtime.tr(locale)
        document = Outgoing(
            kind="file",
            text=tr._(
                "The record of {ref} ({language}). Give it only to them, or to someone they chose.",
                ref=child.ref,
                language=SUPPORTED[locale].native if locale in SUPPORTED else locale,
            ),
            extra={"name": f"record-{child.ref}-{locale}.txt", "body": render(reader, record)},
        )
        await to_staff(ctx, staff, document, key_id=child.data_key_id)
