"""`alongside stats` on a seeded store, on SQLite and PostgreSQL: the expected counts in text,
CSV and JSON, small counts suppressed, a total that would give one away hidden, the months
outside the period left out, and the run audited without its figures."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from conversations import alerts, linking, people, relay, relaying
from conversations.ids import new_id
from conversations.journey import Stage
from conversations.models import AuditEntry, CheckIn, MissingEpisode
from conversations.people import ChildView, Role, StaffView
from conversations.relay import Content
from conversations.store import Store, StoreConfig
from tests.conftest import PATIENCE
from tests.integration.test_store import SetClock

FEB = datetime(2026, 2, 10, 10, 0, tzinfo=UTC)
MARCH = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
APRIL = datetime(2026, 4, 7, 10, 0, tzinfo=UTC)
MAY = datetime(2026, 5, 5, 10, 0, tzinfo=UTC)
HELLO = Content("text", "hello")


async def _link(store: Store, advocate: StaffView, telegram_id: int, locale: str) -> ChildView:
    async with store.unit() as uow:
        made = await linking.create_invite(uow, advocate, f"Nick{telegram_id}")
        linked = await linking.link_child(uow, telegram_id, made.code, locale)
        await uow.commit()
    assert linked.child is not None
    return linked.child


async def _in_a_unit(store: Store, clock: SetClock, at: datetime, work: object) -> None:
    clock.at = at
    async with store.unit() as uow:
        await work(uow)  # type: ignore[operator]
        await uow.commit()


async def seed(store: Store, clock: SetClock) -> None:
    """Eight young people supported in March (six in English, two in Albanian), five of them
    writing again in April; one linked in February who wrote only then; a sender never linked."""
    clock.at = FEB
    async with store.unit() as uow:
        advocate = await people.add_staff(
            uow, telegram_id=7_500_000_001, name="Ada", role=Role.ADVOCATE, languages=("en",)
        )
        supervisor = await people.add_staff(
            uow, telegram_id=7_500_000_002, name="Sam", role=Role.SUPERVISOR, languages=("en",)
        )
        await uow.commit()
    before = await _link(store, advocate, 7_600_000_100, "en")

    async def february(uow):  # type: ignore[no-untyped-def]
        await relay.record_from_child(uow, before, HELLO, 1)
        await alerts.raise_alert(uow, before, source="message", severity="urgent")

    await _in_a_unit(store, clock, FEB, february)

    clock.at = MARCH
    young = [
        await _link(store, advocate, 7_600_000_000 + n, "sq" if n >= 6 else "en") for n in range(8)
    ]
    async with store.unit() as uow:
        stranger = await linking.register_unlinked(uow, 7_600_000_200, "fr")
        await relay.record_from_child(uow, stranger, HELLO, 1)
        for n, child in enumerate(young):
            if n < 5:
                await _set_stage(uow, advocate, child, Stage.COURT)
            elif n == 5:
                await _set_stage(uow, advocate, child, Stage.NRM_REFERRAL)
        await uow.commit()

    # Each writes in March; six are answered after 10, 20 ... 60 minutes, two never.
    for n, child in enumerate(young):
        start = MARCH + timedelta(hours=1 + n)

        async def wrote(uow, child=child, n=n):  # type: ignore[no-untyped-def]
            await relay.record_from_child(uow, child, HELLO, 10 + n)

        await _in_a_unit(store, clock, start, wrote)
        if n < 6:

            async def answered(uow, child=child):  # type: ignore[no-untyped-def]
                await relaying.reply_to_child(uow, advocate, child, Content("text", "hi"))

            await _in_a_unit(store, clock, start + timedelta(minutes=10 * (n + 1)), answered)

    # Seven urgent alerts in March, six acknowledged after 1 ... 6 minutes; two concerns in
    # April that nobody acknowledged; one in May, after the period.
    for n in range(7):
        raised_at = MARCH + timedelta(days=2, hours=n)
        ids: list[str] = []

        async def raise_one(uow, child=young[n], ids=ids):  # type: ignore[no-untyped-def]
            ids.append(
                (await alerts.raise_alert(uow, child, source="message", severity="urgent")).id
            )

        await _in_a_unit(store, clock, raised_at, raise_one)
        if n < 6:

            async def ack(uow, ids=ids):  # type: ignore[no-untyped-def]
                assert await alerts.acknowledge(uow, supervisor, ids[0]) is not None

            await _in_a_unit(store, clock, raised_at + timedelta(minutes=n + 1), ack)
    for at, child in ((APRIL, young[0]), (APRIL + timedelta(days=1), young[1]), (MAY, young[2])):

        async def concern(uow, child=child):  # type: ignore[no-untyped-def]
            await alerts.raise_alert(uow, child, source="message", severity="concern")

        await _in_a_unit(store, clock, at, concern)

    # Five of them write again in April.
    for n, child in enumerate(young[:5]):

        async def again(uow, child=child, n=n):  # type: ignore[no-untyped-def]
            await relay.record_from_child(uow, child, HELLO, 100 + n)

        async def reply(uow, child=child):  # type: ignore[no-untyped-def]
            await relaying.reply_to_child(uow, advocate, child, Content("text", "hi"))

        await _in_a_unit(store, clock, APRIL + timedelta(hours=n), again)
        await _in_a_unit(store, clock, APRIL + timedelta(hours=n, minutes=1), reply)

    # Six check-ins in March, five answered.
    async def check_ins(uow):  # type: ignore[no-untyped-def]
        for n, child in enumerate(young[:6]):
            sent = MARCH + timedelta(days=1, hours=n)
            uow.session.add(
                CheckIn(
                    id=new_id(),
                    child_id=child.id,
                    sent_at=sent,
                    answer_by=sent + timedelta(hours=6),
                    answered_at=sent + timedelta(hours=1) if n < 5 else None,
                    flagged=False,
                )
            )

    await _in_a_unit(store, clock, MARCH + timedelta(days=1), check_ins)

    # Six missing in March: five found after 1 to 5 hours, four of their return interviews
    # done within the 72 hours (the fifth declined); one not yet found. The first missing
    # again in April, found after 10 hours, declines the interview.
    async def missing(uow):  # type: ignore[no-untyped-def]
        for n, child in enumerate([*young[:6], young[0]]):
            opened = MARCH + timedelta(days=3, hours=n) if n < 6 else APRIL
            closed = opened + timedelta(hours=n + 1) if n < 5 else None
            closed = opened + timedelta(hours=10) if n == 6 else closed
            due = closed + timedelta(hours=72) if closed else None
            uow.session.add(
                MissingEpisode(
                    id=new_id(),
                    child_id=child.id,
                    opened_by=advocate.id,
                    opened_at=opened,
                    closed_at=closed,
                    closed_by=advocate.id if closed else None,
                    found_how="returned" if closed else None,
                    interview_due_at=due,
                    interview_at=closed + timedelta(hours=24) if closed else None,
                    interview=("done" if n < 4 else "declined") if closed else None,
                    reminders=0,
                )
            )

    await _in_a_unit(store, clock, MARCH + timedelta(days=4), missing)


async def _set_stage(uow, advocate, child, stage):  # type: ignore[no-untyped-def]
    from conversations.continuity import set_stage

    await set_stage(uow, advocate, child, stage)


def stats(config: StoreConfig, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "ALONGSIDE_"))
    }
    environ.update(
        {
            "ALONGSIDE_DATA_DIR": str(data),
            "DATABASE_URL": config.url,
            "ALONGSIDE_MASTER_KEY": base64.b64encode(config.master_key).decode(),
            "ALONGSIDE_INDEX_KEY": base64.b64encode(config.index_key).decode(),
        }
    )
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "stats",
            "--from",
            "2026-03",
            "--to",
            "2026-04-30",
            *args,
        ],
        env=environ,
        text=True,
        capture_output=True,
        timeout=120 * PATIENCE,
        check=False,
    )


EXPECTED = {
    ("supported", "young_people"): ["8"],
    ("languages", "en"): ["*"],
    ("languages", "sq"): ["<5"],
    ("age_bands", "not_recorded"): ["8"],
    ("stages", "court"): ["5"],
    ("stages", "nrm_referral"): ["<5"],
    ("stages", "not_set"): ["<5"],
    ("alerts", "raised"): ["9"],
    ("alerts", "urgent"): ["*"],
    ("alerts", "concern"): ["<5"],
    ("alerts", "acknowledged_p50"): ["3"],
    ("alerts", "acknowledged_p90"): ["6"],
    ("alerts", "never_acknowledged"): ["<5"],
    # 5 of 6 answered: the one unanswered would follow from the total, so it is hidden too.
    ("check_ins", "sent"): ["*"],
    ("check_ins", "answered"): ["*"],
    ("check_ins", "not_answered"): ["<5"],
    ("check_ins", "answered_percent"): ["*"],
    ("responses", "waits"): ["13"],
    # 11 of 13 answered: with one of two parts small, both are hidden.
    ("responses", "answered"): ["*"],
    ("responses", "not_answered"): ["<5"],
    ("responses", "answered_percent"): ["*"],
    ("responses", "first_answer_p50"): ["10"],
    ("responses", "first_answer_p90"): ["50"],
    ("missing", "episodes"): ["7"],
    ("missing", "young_people_missing"): ["6"],
    ("missing", "episodes_per_young_person"): ["1.2"],
    ("missing", "missing_percent"): ["75"],
    ("missing", "missing_p50"): ["180"],
    ("missing", "not_found"): ["<5"],
    ("missing", "interviews_due"): ["6"],
    ("missing", "interviews_in_time"): ["<5"],
    ("months", "2026-03"): ["8", "*"],
    ("months", "2026-04"): ["5", "<5"],
}


async def test_stats_in_three_formats_with_suppression(
    store: Store, config: StoreConfig, tmp_path: Path
) -> None:
    clock = store.clock
    assert isinstance(clock, SetClock)
    await seed(store, clock)
    data = tmp_path / "data"

    as_csv = stats(config, data, "--format", "csv")
    assert as_csv.returncode == 0, as_csv.stderr
    assert as_csv.stderr.startswith("using data dir ")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert {r["from"] for r in rows} == {"2026-03"}
    assert {r["to"] for r in rows} == {"2026-04"}
    found: dict[tuple[str, str], list[str]] = {}
    for r in rows:
        found.setdefault((r["section"], r["row"]), []).append(r["value"])
    assert found == EXPECTED

    as_json = stats(config, data, "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    report = json.loads(as_json.stdout)
    assert (report["from"], report["to"]) == ("2026-03", "2026-04")
    from_json = {
        (s["key"], r["key"]): [str(v) for v in r["values"]]
        for s in report["sections"]
        for r in s["rows"]
    }
    assert from_json == EXPECTED
    months = next(s for s in report["sections"] if s["key"] == "months")
    assert months["columns"] == ["young_people", "alerts"]

    as_text = stats(config, data)
    assert as_text.returncode == 0, as_text.stderr
    lines = as_text.stdout.splitlines()
    assert lines[0].startswith("using data dir ")
    assert "Statistics, 2026-03 to 2026-04" in lines
    for line in (
        "Young people supported",
        "  Young people supported: 8",
        "  English: *",
        "  Shqip: <5",
        "  not recorded: 8",
        "  not set: <5",
        "  raised: 9",
        "  first acknowledgement, median minutes: 3",
        "  sent: *",
        "  messages waiting for an answer: 13",
        "  2026-03: 8 / *",
        "  2026-04: 5 / <5",
        "  episodes per young person missing: 1.2",
    ):
        assert line in lines, line
    # Nothing names anyone: no reference, nickname or day.
    async with store.unit(read_only=True) as uow:
        refs = [c.ref for c in await people.children_of(uow, (await _advocate(uow)).id)]
    for output in (as_csv.stdout, as_json.stdout, as_text.stdout):
        assert not any(ref in output for ref in refs)
        assert "2026-03-0" not in output
        assert "Nick" not in output

    async with store.unit(read_only=True) as uow:
        runs = (
            await uow.session.execute(
                select(AuditEntry.actor, AuditEntry.subject, AuditEntry.detail)
                .where(AuditEntry.action == "statistics.run")
                .order_by(AuditEntry.id)
            )
        ).all()
    assert [tuple(r) for r in runs] == [
        ("operator", "", f"2026-03..2026-04 {form}") for form in ("csv", "json", "text")
    ]


async def _advocate(uow):  # type: ignore[no-untyped-def]
    found = await people.find_staff(uow, 7_500_000_001)
    assert found is not None
    return found
