"""The translation client against a real LibreTranslate-compatible HTTP server: what it sends,
and that a server that is down, slow or lacking a pair gives a named absence, never an error."""

from __future__ import annotations

import time

from bot.emulator.translation import TranslationServer
from conversations.translation import Missing, TranslationClient


async def test_a_translation_a_missing_pair_and_the_same_language() -> None:
    canned = {("vi", "en", "Tôi sợ"): "I am scared"}
    async with TranslationServer(("en", "vi"), canned, api_key="k-1") as server:
        client = TranslationClient(server.url, "k-1", timeout=2)
        try:
            assert (await client.translate("Tôi sợ", "vi", "en")).text == "I am scared"
            assert (await client.translate("Hello", "en", "vi")).text == "[vi] Hello"
            lacking = await client.translate("Xin chào", "vi", "ti")
            assert (lacking.text, lacking.missing) == (None, Missing.PAIR)
            same = await client.translate("Hello", "en", "en")
            assert same.missing is Missing.SAME
        finally:
            await client.close()
        # Only the text and the pair left: no name, no id.
        assert server.received == [("vi", "en", "Tôi sợ"), ("en", "vi", "Hello")]


async def test_a_wrong_key_a_failing_server_and_a_slow_one_are_named() -> None:
    async with TranslationServer(("en", "vi"), api_key="right") as server:
        wrong = TranslationClient(server.url, "wrong", timeout=2)
        client = TranslationClient(server.url, "right", timeout=0.5)
        try:
            assert (await wrong.translate("Hello", "en", "vi")).missing is Missing.DOWN
            server.failing = True
            assert (await client.translate("Hello", "en", "vi")).missing is Missing.DOWN
            server.failing = False
            server.delay = 2.0
            started = time.monotonic()
            slow = await client.translate("Hello", "en", "vi")
            assert slow.missing is Missing.SLOW
            assert time.monotonic() - started < 1.9, "the timeout bounds the wait"
        finally:
            await wrong.close()
            await client.close()


async def test_a_server_that_is_not_there() -> None:
    async with TranslationServer(("en", "vi")) as server:
        url = server.url
    client = TranslationClient(url, timeout=1)
    try:
        gone = await client.translate("Hello", "en", "vi")
    finally:
        await client.close()
    assert (gone.text, gone.missing) == (None, Missing.DOWN)
