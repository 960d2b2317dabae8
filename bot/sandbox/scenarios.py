"""What the sandbox's scenario buttons load: the demo's steps, and a few training cases.

Each starts a fresh world and plays its steps with the demo's own (`bot.demo`), then leaves the
phones to whoever is practising. A step waits for what the bot does, never for a fixed time;
moving the clock is what a trainee's clock buttons do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.callbacks import CheckInAnswer
from bot.demo import STEPS, Demo, Step, containing, with_buttons
from bot.watching import next_check_in
from safety import load_contacts

TIGRINYA = "ሰላም፡ መዓስ ኢና ክንራኸብ?"  # "Hello, when do we meet?"
# Said at night: danger now, someone else's control, leaving tonight. Safety detection takes
# each as urgent (checked by a test).
URGENT = {
    "sq": "Ai më mori telefonin. Thotë se sonte duhet të shkoj me të dhe të punoj për të. "
    "Kam frikë.",
    "en": "He took my phone. He says I must go with him tonight and work for him. I am scared.",
}
NIGHT = time(2, 0)


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    about: str  # for the page: what is set up, and what to try
    steps: tuple[Step, ...]
    child: tuple[str, str] | None = None  # the young person's name and language, if set here


def move_to(demo: Demo, when: datetime) -> None:
    """Move the clock forward to ``when`` (never back), and say so."""
    gap = when - demo.clock.now()
    if gap > timedelta(0):
        demo.clock.advance(seconds=gap.total_seconds())
    zone = demo.running.runtime.settings.zone
    demo.transcript.line("clock", f"moves to {when.astimezone(zone):%a %d %b, %H:%M}")


async def writes_in_tigrinya(demo: Demo) -> None:
    since = demo.mark(demo.advocate)
    demo.send(demo.child, TIGRINYA)
    await demo.expect(
        demo.advocate, f"{demo.child.name}'s words relayed", containing(TIGRINYA), since
    )


async def misses_a_check_in(demo: Demo) -> None:
    runtime, child = demo.running.runtime, demo.child
    heard = demo.mark(child)
    move_to(demo, next_check_in(runtime, demo.clock.now()) + timedelta(minutes=1))
    await demo.expect(child, "the day's check-in", with_buttons(CheckInAnswer.pattern), heard)
    demo.transcript.line(child.label, "(does not answer)")
    since = demo.mark(demo.advocate)
    wait = timedelta(hours=runtime.settings.check_in_answer_hours, minutes=1)
    move_to(demo, demo.clock.now() + wait)
    await demo.expect(
        demo.advocate, "word that the check-in went unanswered", containing("Star ·"), since
    )


async def urgent_at_night(demo: Demo) -> None:
    runtime, child = demo.running.runtime, demo.child
    zone = runtime.settings.zone
    local = demo.clock.now().astimezone(zone)
    night = datetime.combine(local.date(), NIGHT, zone)
    move_to(demo, night if night > local else night + timedelta(days=1))
    staff = (demo.advocate, demo.supervisor)
    seen = {a.user.id: demo.mark(a) for a in (child, *staff)}
    demo.send(child, URGENT.get(child.locale, URGENT["en"]))
    for person in staff:
        await demo.expect(person, "the safety alert", containing("🚨"), seen[person.user.id])
    emergency = load_contacts(runtime.settings.region).emergency.number
    await demo.expect(child, "the emergency numbers", containing(emergency), seen[child.user.id])
    demo.transcript.line("nobody", "(acknowledges the alert)")
    sam = demo.supervisor
    since = demo.mark(sam)
    step = runtime.settings.escalation.steps[0]
    move_to(demo, demo.clock.now() + step + timedelta(seconds=1))
    await demo.expect(sam, "the alert again, unacknowledged", containing("Star ·"), since)


ENROL, LINK = STEPS[0], STEPS[1]
SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "fresh",
        "Fresh start",
        "Rosa (advocate) and Sam (supervisor) are enrolled and the young person is linked to "
        "Rosa. Write as any of them.",
        (ENROL, LINK),
    ),
    Scenario(
        "unlinked",
        "Before linking",
        "Only the staff are enrolled. Rosa sends /invite NICKNAME; the young person sends "
        "/start and the code.",
        (ENROL,),
    ),
    Scenario(
        "demo",
        "The demo",
        "The steps of `alongside demo`: linking, relay in Albanian and Vietnamese (Minh is "
        "scripted), what happens next, Help now, the acknowledgement.",
        STEPS,
    ),
    Scenario(
        "tigrinya",
        "Writes in Tigrinya",
        "Selam writes in Tigrinya, which Rosa does not read. Every word reaches her; try "
        "/interpreter with Selam's reference, and answer in plain English.",
        (ENROL, LINK, Step("Selam writes in Tigrinya", writes_in_tigrinya)),
        child=("Selam", "ti"),
    ),
    Scenario(
        "check-in",
        "A missed check-in",
        "In the first week the bot checks in every day. The clock moves to the check-in and "
        "past the time to answer: Rosa hears of the silence.",
        (ENROL, LINK, Step("The day's check-in goes unanswered", misses_a_check_in)),
    ),
    Scenario(
        "night",
        "Urgent at night",
        "At 02:00 the young person writes that they are in danger. They get the emergency "
        "numbers; Rosa and Sam are alerted, and reminded while nobody acknowledges.",
        (ENROL, LINK, Step("An urgent message at night", urgent_at_night)),
    ),
)
BY_KEY = {scenario.key: scenario for scenario in SCENARIOS}
