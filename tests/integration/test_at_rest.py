"""Nothing a person wrote, no name and no Telegram id is stored in plaintext.

Messages go end to end through the real bot, then every byte the store holds is searched: the
SQLite file with its write-ahead log, and on PostgreSQL every row of every table as text.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine.interfaces import ReflectedColumn
from sqlalchemy.orm import Session

from bot.emulator import BotApiEmulator
from conversations.models import InboxUpdate, Message, OutboxMessage
from conversations.people import Role
from tests.conftest import BotHarness, raw_session

ADVOCATE_ID, CHILD_ID, SUPERVISOR_ID, NEWCOMER_ID = 7345128901, 7345128902, 7345128903, 7345128904
SECRETS = [
    "Rosalind Advocate",
    "Nightingale",
    "Superintendent Okonkwo",
    "the blue house on Marsh Lane",
    "Përshëndetje nga Drita",
    "Tôi sợ lắm, xin giúp",
    "أنا في خطر الآن",
    "caption of the kitchen photo",
    "corrected to the red door",
    "prefers a female interpreter",
    "came through Calais in March",
    "Мені страшно біля вокзалу",
    "Wilhelmina Newcomer",
]


def _needles() -> dict[str, list[bytes]]:
    needles: dict[str, list[bytes]] = {}
    for secret in SECRETS:
        needles[secret] = [secret.encode(), secret.encode("utf-16-le"), secret.encode("utf-16-be")]
    for number in (ADVOCATE_ID, CHILD_ID, SUPERVISOR_ID, NEWCOMER_ID):
        needles[str(number)] = [
            str(number).encode(),
            str(number).encode("utf-16-le"),
            str(number).encode("utf-16-be"),
            struct.pack("<q", number),
            struct.pack(">q", number),
        ]
    return needles


async def _converse(bot: BotHarness, emu: BotApiEmulator) -> None:
    advocate = emu.user(ADVOCATE_ID, "Rosa")
    supervisor = emu.user(SUPERVISOR_ID, "Sam")
    child = emu.user(CHILD_ID, "Drita", language_code="sq")
    await bot.enrol(advocate, Role.ADVOCATE, "Rosalind Advocate")
    await bot.enrol(supervisor, Role.SUPERVISOR, "Superintendent Okonkwo")
    await bot.link(advocate, child, "Nightingale")
    emu.send_text(child, "Përshëndetje nga Drita, I live in the blue house on Marsh Lane")
    first = await bot.wait_text(advocate.id, "Marsh Lane")
    emu.send_text(child, "Tôi sợ lắm, xin giúp")
    emu.send_text(child, "أنا في خطر الآن")
    emu.send_text(child, "Мені страшно біля вокзалу")
    await bot.wait_text(advocate.id, "вокзалу")
    emu.send_photo(child, caption="caption of the kitchen photo")
    edited = emu.send_text(child, "meet me at the green door")
    await bot.wait_text(advocate.id, "green door")
    emu.edit_text(child, edited["message_id"], "meet me, corrected to the red door")
    await bot.wait_text(advocate.id, "red door")
    ref_line = await bot.wait_text(advocate.id, "is now linked")
    ref = (ref_line.text or "").split("·")[1].strip().split()[0]
    emu.send_text(advocate, f"/note {ref} prefers a female interpreter")
    await bot.wait_text(advocate.id, "Note saved")
    emu.send_text(advocate, f"/summary {ref} You came through Calais in March")
    await bot.wait_text(child.id, "came through Calais in March")
    emu.send_text(advocate, "I will visit tomorrow", reply_to=first.message_id)
    await bot.wait_text(child.id, "visit tomorrow")
    await bot.wait_text(supervisor.id, "URGENT")
    emu.send_text(supervisor, "/enrol Wilhelmina Newcomer")
    offer = await bot.wait_text(supervisor.id, "join as an advocate")
    code = (offer.text or "").split("Code:")[1].split(maxsplit=1)[0].strip("\u2068\u2069")
    emu.send_text(emu.user(NEWCOMER_ID, "W"), f"/start {code}")
    await bot.wait_text(NEWCOMER_ID, "enrolled you as an advocate")


def _key_needles(data_dir: Path) -> dict[str, list[bytes]]:
    """Each key file's text and the raw key it holds."""
    needles: dict[str, list[bytes]] = {}
    for path in sorted(data_dir.glob("*.key")):
        written = path.read_bytes().strip()
        needles[path.name] = [written, base64.b64decode(written)]
    assert len(needles) == 2, "a master key and an index key"
    return needles


def _columns(session: Session, table: str) -> list[ReflectedColumn]:
    return inspect(session.connection()).get_columns(table)


def _found(blob: bytes, needles: dict[str, list[bytes]]) -> list[str]:
    return [name for name, forms in needles.items() if any(form in blob for form in forms)]


async def test_nothing_readable_at_rest(
    harness_factory: Callable[..., BotHarness],
    database_url: str,
    emulator: BotApiEmulator,
    tmp_path: Path,
) -> None:
    bot = harness_factory(database_url)
    await bot.start()
    await _converse(bot, emulator)
    needles = _needles()

    keys = _key_needles(tmp_path / "data")

    if database_url.startswith("sqlite"):
        # While the bot runs the write-ahead log holds recent pages; after it stops, the file.
        for moment in ("running", "stopped"):
            # Every file the store keeps: the database, its WAL and shared memory, anything else.
            files = sorted(p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".key")
            assert tmp_path / "alongside.db" in files
            if moment == "running":
                assert any(p.name.endswith("-wal") and p.stat().st_size for p in files), files
            # A control: the search does see what is meant to be plain (a role name).
            assert _found(b"".join(p.read_bytes() for p in files), {"role": [b"supervisor"]})
            for path in files:
                raw = path.read_bytes()
                assert not _found(raw, needles), f"plaintext in {path.name} ({moment})"
                assert not _found(raw, keys), f"a key in {path.name} ({moment})"
            await bot.stop()
        return
    await bot.stop()

    async with raw_session(database_url) as session:
        tables = await session.run_sync(lambda s: inspect(s.connection()).get_table_names())
        assert {"messages", "notes", "staff", "children", "outbox", "inbox"} <= set(tables)
        dump = bytearray()
        for table in tables:
            rows = (await session.execute(text(f'SELECT t::text FROM "{table}" t'))).scalars()
            for row in rows:
                dump += row.encode()
        # Bytea columns print as hex in ::text; search their raw bytes as well.
        for table in tables:
            columns = await session.run_sync(_columns, table)
            for column in columns:
                if str(column["type"]).upper().startswith(("BYTEA", "BLOB")):
                    values = (
                        await session.execute(text(f'SELECT "{column["name"]}" FROM "{table}"'))
                    ).scalars()
                    for value in values:
                        dump += bytes(value or b"")
    assert len(dump) > 10_000, "the conversation was stored"
    assert _found(bytes(dump), {"role": [b"supervisor"]}), "the search sees plain columns"
    assert not _found(bytes(dump), needles)
    assert not _found(bytes(dump), keys), "a key in the database"


async def test_handled_updates_and_sent_messages_keep_no_copy_of_the_words(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    """The conversation is kept once, under the child's key (which erasure destroys); the
    inbox's and outbox's own copies, under the system key, go once they have done their job."""
    bot = harness_factory(database_url)
    await bot.start()
    await _converse(bot, emulator)
    await bot.stop()
    async with raw_session(database_url) as session:
        inbox = (
            await session.execute(select(InboxUpdate.status, InboxUpdate.payload_sealed))
        ).all()
        outbox = (
            await session.execute(
                select(
                    OutboxMessage.status,
                    OutboxMessage.chat_sealed,
                    OutboxMessage.payload_sealed,
                    OutboxMessage.tg_message_id,
                )
            )
        ).all()
        kept = (await session.execute(select(func.count(Message.id)))).scalar_one()
    done = [payload for status, payload in inbox if status == "done"]
    assert len(done) > 10
    assert all(payload == b"" for payload in done)
    assert all(payload != b"" for status, payload in inbox if status == "pending")
    sent = [row for row in outbox if row.status == "sent"]
    assert len(sent) > 10
    assert all(row.chat_sealed == b"" and row.payload_sealed == b"" for row in sent)
    assert all(row.payload_sealed != b"" for row in outbox if row.status == "pending")
    # What routes replies and Clear chat stays.
    assert sum(row.tg_message_id is not None for row in sent) > 10
    assert kept >= 5
