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
from bot.runtime import AlongsideContext
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
    sections = (
        (tr._("Messages"), record.messages),
        (tr._("Notes"), record.notes),
        (tr._("Story so far"), record.summaries),
        (tr._("Journey stages"), record.stages),
        (tr._("Safety alerts"), record.alerts),
        (tr._("Check-ins"), record.check_ins),
        (tr._("Audit log entries"), record.audit),
    )
    for title, lines in sections:
        out += ["", f"== {title} ({len(lines)}) =="]
        out += [_line(tr, line) for line in lines] or [tr._("(none)")]
    return "\n".join(out) + "\n"


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
