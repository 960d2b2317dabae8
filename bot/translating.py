"""Machine translation beside the original: asked for with each relay and reply, made by a loop
of its own after the original is queued, and sent as a reply to it, labelled as a machine's.

The translation server is called outside every transaction and bounded by its timeout; a
server that is down or slow costs the translation, never the original or an alert. A young
person's words are screened again in translation: the detector of the reader's language may
see what the one of theirs missed.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from babel import Locale, UnknownLocaleError

from bot.alerting import marks, rules, tell_of_alert
from bot.health import Retry
from bot.i18n import SUPPORTED, Translator, babel_locale, right_to_left_lines
from bot.runtime import Runtime, wait_any
from conversations import people, relaying, translating
from conversations.outgoing import Outgoing
from conversations.people import ChildView, StaffView
from conversations.store import STORE_ERRORS, UnitOfWork
from conversations.translating import Job, Outcome
from conversations.translation import Missing, Translated, TranslationClient

log = logging.getLogger(__name__)


async def ask_for_staff(
    runtime: Runtime, uow: UnitOfWork, message_id: str, child: ChildView, reader: StaffView
) -> None:
    """A young person's message, for a reader of another language."""
    if runtime.settings.translate_url and await translating.ask(
        uow, message_id, child.id, staff_id=reader.id, source=child.locale, target=reader.locale
    ):
        uow.on_commit(runtime.translations_ready.set)


async def ask_for_child(
    runtime: Runtime, uow: UnitOfWork, message_id: str, child: ChildView, writer: StaffView
) -> None:
    """A staff member's message, for a young person of another language."""
    if runtime.settings.translate_url and await translating.ask(
        uow, message_id, child.id, staff_id=None, source=writer.locale, target=child.locale
    ):
        uow.on_commit(runtime.translations_ready.set)


def language_name(code: str, reader_locale: str) -> str:
    """A language's name in the reader's language, or in its own when babel lacks it."""
    try:
        name = Locale.parse(babel_locale(code)).get_language_name(babel_locale(reader_locale))
    except (UnknownLocaleError, ValueError):
        name = None
    return name or (SUPPORTED[code].native if code in SUPPORTED else code)


def for_staff(tr: Translator, source: str, text: str, severity: str) -> Outgoing:
    label = tr._(
        "🌐 Machine translation from {language}. It may be wrong:",
        language=language_name(source, tr.locale),
    )
    return Outgoing(text=f"{marks(tr, severity)}{label}\n{text}", protect=True)


def for_child(tr: Translator, text: str) -> Outgoing:
    label = tr._("🌐 Translated by a computer. It may be wrong: ask if something is unclear.")
    # Words in their language: in a right-to-left one, a line that starts with a Latin name
    # must still lay out right to left.
    body = right_to_left_lines(text) if tr.language.rtl else text
    return Outgoing(text=f"{label}\n{body}", protect=True)


def missing_for_staff(tr: Translator, job: Job, why: str) -> Outgoing:
    if why == Missing.PAIR:
        return Outgoing(
            text=tr._(
                "🌐 The translation server cannot translate {source} into {target}: there will "
                "be no machine translation for this young person.",
                source=language_name(job.source, tr.locale),
                target=language_name(job.target, tr.locale),
            )
        )
    return Outgoing(
        text=tr._(
            "🌐 No machine translation of this message: the translation server did not answer."
        )
    )


def missing_for_child(tr: Translator) -> Outgoing:
    return Outgoing(
        text=tr._("🌐 The computer could not translate this message. Ask if something is unclear.")
    )


async def translate_forever(runtime: Runtime, stop: asyncio.Event) -> None:
    """Make the translations asked for, as they come, until `stop`."""
    settings = runtime.settings
    assert settings.translate_url is not None
    client = TranslationClient(
        settings.translate_url, settings.translate_key, timeout=settings.translate_timeout
    )
    # Longer than one call can take, so no other worker takes the same job meanwhile.
    lease = timedelta(seconds=2 * settings.translate_timeout + 30)
    retry = Retry(runtime.health, "translate")
    try:
        while not stop.is_set():
            runtime.translations_ready.clear()
            pause = min(5.0, settings.sweep_seconds)
            try:
                if await translate_round(runtime, client, lease):
                    pause = 0.0
                retry.worked()
            except STORE_ERRORS as exc:
                pause = retry.failed(exc)
            except Exception:
                log.exception("translation.round_failed")
            await wait_any(runtime.translations_ready, stop, pause)
    finally:
        await client.close()


async def translate_round(runtime: Runtime, client: TranslationClient, lease: timedelta) -> int:
    """Claim what is due, translate it all at once (each call bounded), and send each; returns
    how many were claimed."""
    async with runtime.store.unit() as uow:
        jobs = await translating.claim(uow, lease)
        await uow.commit()
    if not jobs:
        return 0
    answers = await asyncio.gather(
        *(client.translate(job.text, job.source, job.target) for job in jobs)
    )
    for job, answer in zip(jobs, answers, strict=True):
        async with runtime.store.unit() as uow:
            await deliver(runtime, uow, job, answer)
            await uow.commit()
    return len(jobs)


async def deliver(runtime: Runtime, uow: UnitOfWork, job: Job, answer: Translated) -> None:
    """Send one translation, or say why there is none, or put it off for another try."""
    child = await people.get_child(uow, job.child_id)
    reader = await people.get_staff(uow, job.staff_id) if job.staff_id else None
    if child is None or (job.staff_id and (reader is None or not reader.active)):
        await translating.drop(uow, job.id)
        return
    missing = None if answer.text is not None else str(answer.missing)
    outcome = await translating.settle(uow, job.id, missing)
    log.info(
        "translation.answered",
        extra={"status": missing or "translated", "attempts": job.attempts + 1},
    )
    if outcome is Outcome.SEND and answer.text is not None:
        await uow.audit("system", "message.translated", child.id, f"to={job.target}")
        await _send(runtime, uow, job, child, reader, text=answer.text)
    elif outcome is Outcome.TELL and missing is not None:
        await _tell_missing(runtime, uow, job, child, reader, why=missing)


async def _send(
    runtime: Runtime,
    uow: UnitOfWork,
    job: Job,
    child: ChildView,
    reader: StaffView | None,
    *,
    text: str,
) -> None:
    if reader is None:
        await uow.send(
            child.telegram_id,
            for_child(runtime.tr(child.locale), text),
            purpose="reply",
            key_id=child.data_key_id,
            child_id=child.id,
            reply_to_message_id=job.message_id,
        )
        return
    severity = await _screen(runtime, uow, job, child, text)
    await uow.send(
        reader.telegram_id,
        for_staff(runtime.tr(reader.locale), job.source, text, severity),
        purpose="relay",
        key_id=child.data_key_id,
        staff_id=reader.id,
        child_id=child.id,
        reply_to_message_id=job.message_id,
    )


async def _screen(runtime: Runtime, uow: UnitOfWork, job: Job, child: ChildView, text: str) -> str:
    """Screen a young person's words again in translation: urgent words the detector of their
    language missed raise the alert they would have raised."""
    scanned = runtime.detector.scan(text, languages=(job.target,))
    if not await translating.heighten(uow, job.message_id, scanned.severity.value):
        return job.severity
    raised = await relaying.raise_alert_for(
        uow,
        child,
        rules(runtime),
        source="message",
        severity=scanned.severity.value,
        categories=tuple(scanned.categories),
        reasons=tuple(f"translated:{rule}" for rule in scanned.rules),
        message_id=job.message_id,
    )
    await tell_of_alert(
        runtime, uow, child, raised, source="message", severity=scanned.severity.value
    )
    return scanned.severity.value


async def _tell_missing(
    runtime: Runtime,
    uow: UnitOfWork,
    job: Job,
    child: ChildView,
    reader: StaffView | None,
    *,
    why: str,
) -> None:
    if reader is None:
        await uow.send(
            child.telegram_id,
            missing_for_child(runtime.tr(child.locale)),
            purpose="notice",
            key_id=child.data_key_id,
            child_id=child.id,
            reply_to_message_id=job.message_id,
        )
        return
    await uow.send(
        reader.telegram_id,
        missing_for_staff(runtime.tr(reader.locale), job, why),
        purpose="notice",
        staff_id=reader.id,
        child_id=child.id,
        reply_to_message_id=job.message_id,
    )
