"""/stats end to end: a supervisor gets the figures and a chart that opens; an advocate is
refused; each run is audited."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from bot.emulator import BotApiEmulator
from conversations import people
from conversations.models import AuditEntry
from conversations.people import Role
from tests.conftest import BotHarness

PNG = b"\x89PNG\r\n\x1a\n"


async def test_a_supervisor_gets_the_figures_and_a_chart(
    bot: BotHarness, emulator: BotApiEmulator
) -> None:
    emu = emulator
    advocate = emu.user(601, "Rosa")
    supervisor = emu.user(602, "Sam")
    rosa = await bot.enrol(advocate, Role.ADVOCATE, "Rosa")
    staff = await bot.enrol(supervisor, Role.SUPERVISOR, "Sam")
    young = [emu.user(9600 + n, f"Y{n}", language_code="en") for n in range(6)]
    for n, person in enumerate(young):
        await bot.link(advocate, person, f"Star{n}")
    emu.send_text(young[0], "hello")
    await bot.wait_text(advocate.id, "hello")
    # Five of them missing this month, one of them twice.
    assert bot.running is not None
    async with bot.running.runtime.store.unit() as uow:
        children = await people.children_of(uow, rosa.id)
        for child in [*children[:5], children[0]]:
            await uow.episodes.add(child.id, rosa.id)
        await uow.commit()

    emu.send_text(supervisor, "/stats")
    text = await bot.wait_text(supervisor.id, "Statistics, ")
    lines = (text.text or "").splitlines()
    assert "  Young people supported: 6" in lines
    assert "  English: 6" in lines
    assert "  not recorded: 6" in lines
    # A journey stage nobody set yet: all six, shown.
    assert "  not set: 6" in lines
    assert "  episodes opened: 6" in lines
    assert "  young people missing at least once: 5" in lines
    assert "  episodes per young person missing: 1.2" in lines
    assert not any(f"Star{n}" in (text.text or "") for n in range(6))

    await emu.wait_for(lambda: any(m.kind == "photo" for m in emu.sent_to(supervisor.id)))
    chart = next(m for m in emu.sent_to(supervisor.id) if m.kind == "photo")
    assert chart.file_id is not None
    png = emu.file_bytes(chart.file_id)
    assert png.startswith(PNG)
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        assert image.format == "PNG"
        assert image.size[0] > 400
        assert image.size[1] > 200

    import matplotlib.image

    pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
    assert pixels.shape[0] == image.size[1]

    assert bot.running is not None
    async with bot.running.runtime.store.unit(read_only=True) as uow:
        runs = (
            await uow.session.execute(
                select(AuditEntry.actor, AuditEntry.detail).where(
                    AuditEntry.action == "statistics.run"
                )
            )
        ).all()
    assert [(actor, detail.split()[-1]) for actor, detail in runs] == [
        (f"staff:{staff.id}", "chat")
    ]


async def test_an_advocate_is_refused(bot: BotHarness, emulator: BotApiEmulator) -> None:
    advocate = emulator.user(611, "Rosa")
    await bot.enrol(advocate, Role.ADVOCATE, "Rosa")
    emulator.send_text(advocate, "/stats")
    await bot.wait_text(advocate.id, "Only a supervisor can do that.")
    assert not any("Statistics, " in t for t in bot.texts(advocate.id))
    assert not any(m.kind == "photo" for m in emulator.sent_to(advocate.id))


async def test_months_out_of_order_or_malformed_get_the_usage(
    bot: BotHarness, emulator: BotApiEmulator
) -> None:
    supervisor = emulator.user(621, "Sam")
    await bot.enrol(supervisor, Role.SUPERVISOR, "Sam")
    emulator.send_text(supervisor, "/stats March")
    await bot.wait_text(supervisor.id, "/stats 2026-01 2026-06")
    emulator.send_text(supervisor, "/stats 2026-06 2026-01")
    reply = await bot.wait_text(supervisor.id, "Statistics, ")
    assert "Statistics, 2026-01 to 2026-06" in (reply.text or "")
