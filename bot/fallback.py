"""When handling an update fails for good: what a young person sent still reaches a person.

The handlers failed (each try rolled back), so this reads the update's stored JSON directly,
without python-telegram-bot's parsing or any handler, and passes the message on as it came,
marked, to whoever reads that young person (their advocate, or the supervisors), and tells
the supervisors. First with the safety scan and its alert; should that fail too, bare.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot import metrics, notices
from bot.alerting import emergency_message, notify_staff
from bot.i18n import resolve
from bot.runtime import Runtime
from conversations import alerts, linking, people
from conversations.outgoing import MEDIA_KINDS, Outgoing
from conversations.people import ChildView
from conversations.store import UnitOfWork
from safety import Severity

log = logging.getLogger(__name__)


def _message(raw: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for key in ("message", "edited_message"):
        part = raw.get(key)
        if isinstance(part, dict):
            return part
    return None


def _sender(raw: Mapping[str, Any]) -> int | None:
    for key in ("message", "edited_message", "callback_query", "my_chat_member"):
        part = raw.get(key)
        sender = part.get("from") if isinstance(part, dict) else None
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return int(sender["id"])
    return None


def _topic(raw: Mapping[str, Any]) -> int | None:
    """The topic the update came from (a message written in one, or a button pressed on a
    message shown in one), read defensively: the answer goes there."""
    query = raw.get("callback_query")
    message = _message(raw) or (query.get("message") if isinstance(query, dict) else None)
    if not isinstance(message, dict) or message.get("is_topic_message") is not True:
        return None
    thread = message.get("message_thread_id")
    return thread if type(thread) is int and thread > 0 else None


def _language(raw: Mapping[str, Any]) -> str | None:
    message = _message(raw)
    sender = message.get("from") if message is not None else None
    code = sender.get("language_code") if isinstance(sender, dict) else None
    return code if isinstance(code, str) else None


def _content(message: Mapping[str, Any]) -> Outgoing:
    """What the message carried, read defensively from untrusted JSON."""
    text = message.get("text") or message.get("caption") or ""
    text = text if isinstance(text, str) else ""
    for kind in sorted(MEDIA_KINDS):
        item = message.get(kind)
        if kind == "photo" and isinstance(item, list) and item:
            item = item[-1]
        file_id = item.get("file_id") if isinstance(item, dict) else None
        if isinstance(file_id, str):
            return Outgoing(kind=kind, text=text, file_id=file_id, protect=True)
    return Outgoing(text=text, protect=True)


async def pass_on(runtime: Runtime, update_id: int, raw: Mapping[str, Any], error: str) -> bool:
    """True once the update's message (or word of it) is committed to reach a person."""
    for screen in (True, False):
        try:
            async with runtime.store.unit() as uow:
                await _pass_on(runtime, uow, update_id, raw, error, screen=screen)
                await uow.commit()
        except Exception as exc:
            log.critical(
                "inbox.pass_on_failed",
                extra={"update_id": update_id, "error": type(exc).__name__, "screened": screen},
            )
            continue
        metrics.UPDATES_PASSED_ON.inc()
        return True
    return False


async def _pass_on(
    runtime: Runtime,
    uow: UnitOfWork,
    update_id: int,
    raw: Mapping[str, Any],
    error: str,
    *,
    screen: bool,
) -> None:
    sender = _sender(raw)
    message = _message(raw)
    staff = sender is not None and await people.find_staff(uow, sender)
    if staff:
        tr = runtime.tr(staff.locale)
        if (thread := _topic(raw)) is not None:
            uow.answering = (staff.telegram_id, thread)
        await uow.send(
            staff.telegram_id,
            Outgoing(
                text="⚠️ "
                + tr._(
                    "Your last message could not be handled, and nothing was done with it. Please "
                    "send it again; if this keeps happening, tell the operator."
                )
            ),
            purpose="notice",
            staff_id=staff.id,
        )
        return
    child = await people.find_child(uow, sender) if sender is not None else None
    content = _content(message) if message is not None else None
    locale = child.locale if child else resolve(_language(raw))
    severity = Severity.NONE
    if screen and content is not None and content.text:
        severity = runtime.detector.scan(content.text, languages=(locale,)).severity
    if child is None and severity is Severity.URGENT and sender is not None:
        # Typed danger from someone without a code is screened, as the handlers would have.
        child = await linking.register_unlinked(uow, sender, locale)
    if child is None or content is None:
        # Someone with no code, or no message: nothing a young person sent is lost, and the
        # operator sees it in the dead letters and the metrics; supervisors are not paged.
        log.warning("inbox.unhandled_from_unknown", extra={"update_id": update_id})
        return
    if severity is Severity.URGENT:
        view = await alerts.raise_alert(
            uow, child, source="message", severity="urgent", ladder=runtime.settings.escalation
        )
        told = await notify_staff(runtime, uow, view)
        await uow.send(
            child.telegram_id,
            emergency_message(
                runtime.tr(child.locale), runtime.settings.region, help_now=False, told=told > 0
            ),
            purpose="safety",
            key_id=child.data_key_id,
            child_id=child.id,
        )
    await _relay(runtime, uow, child, content, severity)
    await _tell_supervisors(runtime, uow, child, error)
    await uow.audit("system", "inbox.passed_on", child.id, f"update={update_id}")


async def _relay(
    runtime: Runtime, uow: UnitOfWork, child: ChildView, content: Outgoing, severity: Severity
) -> None:
    readers, _ = await people.readers_of(uow, child)
    for reader in readers:
        tr = runtime.tr(reader.locale)
        mark = tr._("🚨 URGENT · ") if severity is Severity.URGENT else ""
        header = (
            notices.relay_header(tr, child, uow.now, mark)
            + "\n"
            + tr._("⚠️ This message could not be handled; here it is as it came.")
        )
        text = f"{header}\n{content.text}" if content.text else header
        await uow.send(
            reader.telegram_id,
            Outgoing(kind=content.kind, text=text, file_id=content.file_id, protect=True),
            purpose="relay",
            key_id=child.data_key_id,
            child_id=child.id,
            staff_id=reader.id,
        )


async def _tell_supervisors(
    runtime: Runtime, uow: UnitOfWork, child: ChildView, error: str
) -> None:
    for supervisor in await people.supervisors(uow):
        tr = runtime.tr(supervisor.locale)
        text = tr._(
            "A message from {nickname} · {ref} could not be handled ({error}). It was "
            "passed on as it came; the update is kept for the operator.",
            nickname=child.nickname,
            ref=child.ref,
            error=error,
        )
        await uow.send(
            supervisor.telegram_id,
            Outgoing(text="⚠️ " + text),
            purpose="system",
            staff_id=supervisor.id,
            key_id=child.data_key_id,
        )
