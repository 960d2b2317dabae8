"""Run inside the built image by `scripts/check-image`, as the image's own user.

The installed bot runs in webhook mode against the built-in Bot API emulator. The image's health
check must fail before the bot listens, pass while it serves and fail once it has stopped; a
/whoami sent in between by someone not enrolled, whose Telegram app is set to Tigrinya, must be
answered in Tigrinya. The deployment (`alongside db upgrade`, one supervisor) is made beforehand.
Exits 0 when all of that held, 1 otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time

from bot.basics import your_id
from bot.emulator import BotApiEmulator
from bot.i18n import Catalogs

TOKEN = "123456:IMAGE-CHECK-" + "t" * 24  # the emulator's; well-formed, as `alongside run` checks
SECRET = "image-check-" + "s" * 32
WAIT = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _healthy(env: dict[str, str]) -> bool:
    """The image's HEALTHCHECK command (the arguments), as the engine runs it."""
    command = sys.argv[1:] or ["python", "-m", "bot.healthcheck"]
    check = await asyncio.create_subprocess_exec(*command, env=env)
    return await check.wait() == 0


async def main() -> int:
    async with BotApiEmulator(token=TOKEN) as emu:
        port = _free_port()
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": emu.token,
            "TELEGRAM_API_BASE_URL": emu.base_url,
            "TELEGRAM_API_FILE_URL": emu.base_file_url,
            "ALONGSIDE_WEBHOOK_URL": f"http://127.0.0.1:{port}/tg",
            "ALONGSIDE_WEBHOOK_SECRET": SECRET,
            # As compose.yaml sets it; the health check asks loopback.
            "ALONGSIDE_LISTEN": f"0.0.0.0:{port}",
        }
        # In the language of their Telegram app: the image's catalogs are compiled at start.
        asker = emu.user(7000001, "Ana", language_code="ti")
        before = await _healthy(env)
        print(f"health check before the bot listens: {'healthy' if before else 'unhealthy'}")
        bot = await asyncio.create_subprocess_exec("alongside", "run", env=env)
        started = time.monotonic()
        healthy = False
        while not healthy and bot.returncode is None and time.monotonic() - started < WAIT:
            await asyncio.sleep(0.5)
            healthy = await _healthy(env)
        print(
            f"health check while it serves: {'healthy' if healthy else 'unhealthy'} "
            f"after {time.monotonic() - started:.1f} s"
        )
        emu.send_text(asker, "/whoami")
        with contextlib.suppress(AssertionError):
            await emu.wait_for(lambda: emu.sent_to(asker.id), timeout=WAIT)
        tigrinya = your_id(Catalogs().get("ti"), asker.id, stranger=True).text
        english = your_id(Catalogs().get("en"), asker.id, stranger=True).text
        got = [m.text for m in emu.sent_to(asker.id)]
        answered = got == [tigrinya] and tigrinya != english
        print(f"/whoami through the webhook, answered in Tigrinya: {answered} ({len(got)} sent)")
        if bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(bot.wait(), WAIT)
        after = await _healthy(env)
        print(f"alongside run stopped on SIGTERM with exit code {code}")
        print(f"health check after it stopped: {'healthy' if after else 'unhealthy'}")
    return 0 if (not before and healthy and answered and code == 0 and not after) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
