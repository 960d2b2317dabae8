"""What each `alongside` subcommand does, as coroutines the command line runs."""

from __future__ import annotations

import argparse
import secrets
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.request import HTTPXRequest

from bot.app import keep_what_started, open_store_when_reachable, serve
from bot.deployment import open_deployment, require_deployment
from bot.i18n import Catalogs
from bot.interpreting import tell_closed
from bot.settings import Settings
from conversations import anchor, audit, bonds, enrolment, people, urls
from conversations.crypto import (
    INDEX_KEY_FILE,
    MASTER_KEY_FILE,
    Keyring,
    WrappedKey,
    audit_head_mac,
    encode_key,
    private_dir,
    replace_key_file,
)
from conversations.errors import ConfigurationError
from conversations.models import AuditHead, DataKey
from conversations.people import Role, StaffError
from conversations.statistics import Period, compile_statistics
from conversations.store import make_engine, upgrade

NO_SUPERVISOR = (
    "no active supervisor: safety alerts would reach nobody. Enrol one first with "
    "`alongside staff add --role supervisor --telegram-id N --name NAME`"
)


async def run_bot(settings: Settings, workers: int) -> int:
    """Polling, one process. (Webhook mode runs under Uvicorn: see `bot.webhook`.)"""
    if workers != 1:
        raise ConfigurationError("several workers need webhook mode (ALONGSIDE_WEBHOOK_URL)")
    await require_ready(settings)
    await serve(settings, ready=keep_what_started)
    return 0


async def require_ready(settings: Settings) -> int:
    """Refuse to start on a schema that is behind, with nobody to hear an alert, or with a Bot
    API that cannot be reached or refuses the token (checked once, before forking workers).
    A database that is down is waited for: it is not the operator's setting that is wrong."""
    require_deployment(settings)
    store = await open_store_when_reachable(settings)
    try:
        async with store.unit(read_only=True) as uow:
            supervisors = await people.active_supervisors(uow)
    finally:
        await store.close()
    if not supervisors:
        raise ConfigurationError(NO_SUPERVISOR)
    await reach_telegram(settings)
    return 0


async def reach_telegram(settings: Settings) -> None:
    """One getMe: a wrong token or an unreachable API is the operator's to fix, said in one
    line, rather than a traceback from inside the bot (or the web server) later."""
    base = settings.api_base_url
    bot = Bot(
        settings.token or "",
        base_url=base,
        base_file_url=settings.api_file_url or base,
        request=HTTPXRequest(connect_timeout=5, read_timeout=10),
    )
    try:
        async with bot:
            pass
    except InvalidToken:
        # PTB's own message repeats the token: never shown.
        raise ConfigurationError(
            f"the Bot API at {base} refused TELEGRAM_BOT_TOKEN (check it "
            "with @BotFather, and TELEGRAM_API_BASE_URL)"
        ) from None
    except NetworkError:
        raise ConfigurationError(f"Telegram could not be reached at {base}") from None
    except TelegramError as exc:
        raise ConfigurationError(
            f"the Bot API at {base} did not answer as Telegram does ({type(exc).__name__})"
        ) from None


async def db_upgrade(settings: Settings) -> int:
    """The one command that may make a new deployment, and it says so."""
    embedded = urls.embedded_file(settings.database_url)
    if embedded is not None:
        private_dir(settings.data_dir)
    new = embedded is not None and not embedded.exists()
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    if new:
        print(f"a new deployment: made {embedded}")
    print("database is up to date")
    return 0


async def staff_add(settings: Settings, args: argparse.Namespace) -> int:
    """`args.languages` and `args.locale` arrive checked against the catalogs (`bot.cli`)."""
    store = await open_deployment(settings)
    try:
        async with store.unit() as uow:
            try:
                view = await people.add_staff(
                    uow,
                    telegram_id=args.telegram_id,
                    name=args.name,
                    role=Role(args.role),
                    languages=tuple(args.languages),
                    locale=args.locale,
                )
            except StaffError as exc:
                raise ConfigurationError(str(exc)) from None
            await uow.commit()
    finally:
        await store.close()
    print(f"enrolled {view.role.value} {view.name} ({view.id})")
    return 0


async def staff_list(settings: Settings) -> int:
    store = await open_deployment(settings)
    try:
        async with store.unit() as uow:
            rows = await people.list_staff(uow)
            await uow.audit("operator", "staff.list")
            await uow.commit()
    finally:
        await store.close()
    if not rows:
        print("no staff enrolled; add one with `alongside staff add`")
    for view, count in rows:
        print(
            f"{view.id}  {view.role.value:10}  {view.name}  languages={','.join(view.languages)}"
            f"  children={count}"
        )
    return 0


async def stats(settings: Settings, first: date, last: date, form: str) -> int:
    """The statistics for commissioners, on stdout; the run is audited, not its figures."""
    from bot import statistics

    store = await open_deployment(settings)
    try:
        async with store.unit() as uow:
            period = Period.of(first, last, settings.zone)
            report = await compile_statistics(uow, period, "operator", form)
            await uow.commit()
    finally:
        await store.close()
    english = Catalogs(settings.timezone).get("en")
    renderers = {
        "text": lambda: statistics.as_text(english, report, settings.region),
        "csv": lambda: statistics.as_csv(report),
        "json": lambda: statistics.as_json(report),
    }
    print(renderers[form]().rstrip("\n"))
    return 0


async def staff_remove(settings: Settings, telegram_id: int) -> int:
    """Take them off the staff; whoever their windows concerned is told through the outbox,
    which the running bot sends."""
    store = await open_deployment(settings)
    try:
        async with store.unit() as uow:
            try:
                removal = await enrolment.remove_staff(uow, telegram_id)
            except StaffError as exc:
                raise ConfigurationError(str(exc)) from None
            catalogs = Catalogs(settings.timezone)
            for closed in removal.closed:
                await tell_closed(catalogs, uow, closed)
            await uow.commit()
    finally:
        await store.close()
    view = removal.staff
    print(f"removed {view.name} ({view.id})")
    return 0


async def keys_rotate(settings: Settings) -> int:
    """Rewrap every data key under a new master key; sealed rows are not touched.

    With a key file the new key replaces it only after the database committed, and the new key
    is written beside it first, so a crash at any point leaves a key that opens the data. With
    ``ALONGSIDE_MASTER_KEY`` the new key is printed once, for the operator to store.
    """
    store = await open_deployment(settings)
    new_raw = secrets.token_bytes(32)
    new_ring = Keyring(new_raw)
    key_file = settings.data_dir / MASTER_KEY_FILE
    pending = key_file.with_name(MASTER_KEY_FILE + ".new")
    try:
        if not settings.master_key_b64:
            replace_key_file(pending, new_raw)
        async with store.unit() as uow:
            rows = (await uow.session.execute(select(DataKey))).scalars().all()
            count = 0
            for row in rows:
                if row.wrapped is None:
                    continue
                wrapped = store.keyring.rewrap(
                    WrappedKey(row.id, row.wrapped, row.master_id), new_ring
                )
                row.wrapped = wrapped.wrapped
                row.master_id = wrapped.master_id
                count += 1
            await uow.audit("operator", "keys.rotate", detail=f"data_keys={count}")
            uow.scrub_after_commit()
            await uow.commit()
    finally:
        await store.close()
    if settings.master_key_b64:
        print("New master key (set ALONGSIDE_MASTER_KEY to this now; the old one no longer works):")
        print(encode_key(new_raw))
    else:
        pending.replace(key_file)
        print(f"rotated: {count} data keys rewrapped; new key in {key_file}", file=sys.stderr)
    return 0


async def audit_verify(settings: Settings, anchor_path: Path | None = None) -> int:
    """The chain, its keyed head, every line of the anchor file, and every row's bond.

    A missing anchor file is a warning (verify may run away from the bot's data dir), unless
    `anchor_path` names it: then it is a failure.
    """
    path = anchor_path or settings.data_dir / anchor.ANCHOR_FILE
    store = await open_deployment(settings)
    try:
        async with store.sessions() as session:
            result = await audit.verify(session, store.index.audit_key)
            if await _wrong_index_key(session, store.index.audit_key, result):
                named = "ALONGSIDE_INDEX_KEY" if settings.index_key_b64 else INDEX_KEY_FILE
                raise ConfigurationError(
                    f"the index key does not match this database (wrong "
                    f"{named}?): not one audit entry verifies under it, "
                    "nor the chain's head"
                )
            anchored = await anchor.check(session, store.index.audit_key, path)
            rewritten = await bonds.broken(session, store.index)
    finally:
        await store.close()

    def entries(n: int) -> str:
        return f"{n} entry" if n == 1 else f"{n} entries"

    if anchored.missing and anchor_path is not None:
        anchored = anchor.AnchorCheck(False, problem=f"the anchor file {path} is missing")
    if result.ok and anchored.ok and not rewritten:
        end = f", ending at {result.head}" if result.head else ""
        mark = f"; anchored at {entries(anchored.rows)}" if anchored.rows else ""
        print(f"audit log intact: {entries(result.rows)}{end}{mark}")
        if result.rows and not anchored.rows:
            where = "no anchor file" if anchored.missing else "an empty anchor file"
            print(f"warning: {where} at {path}: the chain's end is not checked against it")
        if anchored.torn:
            print(f"warning: the last line of {path} is incomplete (a crash while writing it?)")
        return 0
    if result.first_bad_id is not None:
        print(
            f"audit log BROKEN at entry {result.first_bad_id} "
            f"(after {entries(result.rows)} that chain correctly)"
        )
    elif not result.ok:
        print(f"audit log BROKEN: {result.problem} (entries that verify: {result.rows})")
    if not anchored.ok:
        print(f"audit log BROKEN: {anchored.problem}")
    if rewritten:
        rows = (
            "1 row's owner or role was"
            if len(rewritten) == 1
            else f"{len(rewritten)} rows' owners or roles were"
        )
        listed = ", ".join(f"{b.table} {b.row_id}" for b in rewritten[:20])
        more = f" and {len(rewritten) - 20} more" if len(rewritten) > 20 else ""
        print(f"records BROKEN: {rows} changed outside Alongside: {listed}{more}")
    return 1


async def _wrong_index_key(session: AsyncSession, key: bytes, result: audit.Verification) -> bool:
    """Nothing verifies: not the first entry, not the head's MAC. An edit breaks the chain
    from one entry on and leaves what came before verifying; a different key breaks it all."""
    if result.first_bad_id is None or result.rows:
        return False
    head = await session.get(AuditHead, audit.HEAD_ID)
    return (
        head is not None
        and head.rows is not None
        and head.mac != audit_head_mac(key, head.rows, head.hash or "")
    )
