"""The demo's script: each step acts as a person and waits for what the bot does in answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot import notices
from bot.callbacks import StageChoice
from bot.content import journey_content
from bot.demo.transcript import buttons
from bot.demo.world import Demo, containing, plain, with_buttons
from bot.i18n import SUPPORTED
from bot.practice import Actor, PracticeFailed
from conversations import people
from conversations.journey import Stage
from conversations.people import Role
from safety import load_contacts


async def enrol_staff(demo: Demo) -> None:
    async with demo.running.runtime.store.unit() as uow:
        for actor, role in ((demo.supervisor, Role.SUPERVISOR), (demo.advocate, Role.ADVOCATE)):
            await people.add_staff(
                uow, telegram_id=actor.user.id, name=actor.name, role=role, locale=actor.locale
            )
            language = SUPPORTED[actor.locale].native
            demo.transcript.line("operator", f"enrols {actor.name} as {role.value} ({language})")
        await uow.commit()


async def link(demo: Demo, child: Actor, nickname: str) -> None:
    since = demo.mark(demo.advocate)
    demo.send(demo.advocate, f"/invite {nickname}")
    # Read from the deep link, which reads the same in every language.
    invite = await demo.expect(
        demo.advocate, f"an invite code for {nickname}", containing("?start="), since
    )
    code = plain(invite.text or "").split("?start=")[1].split()[0]
    demo.send(child, f"/start {code}")
    await demo.expect(
        child, f"the welcome naming {demo.advocate.name}", containing(demo.advocate.name)
    )
    await demo.expect(
        demo.advocate, f"word that {nickname} is linked", containing(f"{nickname} ·"), since
    )


async def link_first_child(demo: Demo) -> None:
    await link(demo, demo.child, "Star")


async def talk(demo: Demo, child: Actor, words: str, answer: str) -> None:
    since = demo.mark(demo.advocate)
    demo.send(child, words)
    relayed = await demo.expect(
        demo.advocate, f"{child.name}'s words relayed", containing(words), since
    )
    heard = demo.mark(child)
    demo.send(demo.advocate, answer, reply_to=relayed.message_id)
    await demo.expect(child, f"{demo.advocate.name}'s answer", containing(answer), heard)


async def albanian(demo: Demo) -> None:
    await talk(
        demo,
        demo.child,
        "Përshëndetje, kur takohemi?",
        "Hello Ana, I can meet you tomorrow at 10 at the centre.",
    )


async def vietnamese(demo: Demo) -> None:
    await link(demo, demo.second_child, "Moon")
    await talk(
        demo,
        demo.second_child,
        "Chào chị, em không hiểu lá thư này.",
        "Hello Minh, send me a photo of the letter and I will explain it.",
    )


async def what_happens_next(demo: Demo) -> None:
    """Rosa records Minh's stage; Minh reads, in Vietnamese, where he is and what comes next."""
    child, rosa = demo.second_child, demo.advocate
    since = demo.mark(rosa)
    demo.send(rosa, "/children")
    listing = await demo.expect(rosa, "the list of her young people", containing("Moon ·"), since)
    ref = plain(listing.text or "").split("Moon · ")[1].split()[0]
    since = demo.mark(rosa)
    demo.send(rosa, f"/stage {ref}")
    menu = await demo.expect(rosa, "the stage menu", with_buttons(StageChoice.pattern), since)
    journey = journey_content(demo.running.runtime.settings.region)
    title = journey.stages[Stage.REASONABLE_GROUNDS].title.render(demo.tr(rosa.locale))
    data = next(
        (
            b.get("callback_data")
            for row in (menu.reply_markup or {}).get("inline_keyboard", [])
            for b in row
            if b.get("text") == title
        ),
        None,
    )
    if not isinstance(data, str):
        raise PracticeFailed(f"the stage menu has no {title!r} button")
    heard = demo.mark(child)
    demo.transcript.said(rosa, f"[{title}]", "chooses the stage")
    demo.emu.press_button(rosa.user, menu.message_id, data)
    tr = demo.tr(child.locale)
    told = tr._("Your advocate updated where you are now.")
    await demo.expect(child, "word of the new stage", containing(told), heard)
    label = notices.next_label(tr)
    heard = demo.mark(child)
    demo.transcript.said(child, f"[{label}]", "presses the keyboard button")
    demo.emu.send_text(child.user, label)
    after = journey.stages[Stage.RECOVERY_PERIOD].title.render(tr)
    await demo.expect(child, "what comes next", containing(after), heard)


async def press_help_now(demo: Demo) -> None:
    child = demo.child
    label = notices.help_now_label(demo.tr(child.locale))
    shown = [b for m in demo.emu.sent_to(child.user.id) for row in buttons(m) for b in row]
    if label not in shown:
        raise PracticeFailed(f"{child.name}'s keyboard has no {label!r} button (has {shown})")
    seen = {a.user.id: demo.mark(a) for a in (child, demo.advocate, demo.supervisor)}
    demo.transcript.said(child, f"[{label}]", "presses the keyboard button")
    demo.emu.send_text(child.user, label)
    emergency = load_contacts(demo.running.runtime.settings.region).emergency.number
    await demo.expect(child, "the emergency numbers", containing(emergency), seen[child.user.id])
    for staff in (demo.advocate, demo.supervisor):
        await demo.expect(staff, "the safety alert", containing("🚨"), seen[staff.user.id])


async def acknowledge(demo: Demo) -> None:
    sam = demo.supervisor
    label = demo.tr(sam.locale)._("Acknowledge")
    card = next(
        (
            m
            for m in reversed(demo.emu.sent_to(sam.user.id))
            if any(label in row for row in buttons(m))
        ),
        None,
    )
    markup = (card.reply_markup or {}) if card else {}
    data = next(
        (
            b.get("callback_data")
            for row in markup.get("inline_keyboard", [])
            for b in row
            if b.get("text") == label
        ),
        None,
    )
    if card is None or not isinstance(data, str):
        raise PracticeFailed(f"{sam.name} has no alert with an {label!r} button")
    since = demo.mark(sam)
    demo.transcript.said(sam, f"[{label}]", "presses the button on the alert")
    demo.emu.press_button(sam.user, card.message_id, data)
    await demo.expect(sam, "confirmation of the acknowledgement", containing("Star ·"), since)


@dataclass(frozen=True)
class Step:
    title: str
    run: Callable[[Demo], Awaitable[None]]


STEPS: tuple[Step, ...] = (
    Step("Staff are enrolled", enrol_staff),
    Step("Linking: Rosa invites Star, Ana opens the code", link_first_child),
    Step("Relay: Ana writes in Albanian, Rosa replies in English", albanian),
    Step("A second child: Minh, in Vietnamese", vietnamese),
    Step("What happens next: Rosa records Minh's stage, Minh asks", what_happens_next),
    Step("Safety: Ana presses Help now", press_help_now),
    Step("Sam acknowledges the alert", acknowledge),
)
