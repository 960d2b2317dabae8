"""The sandbox in a real browser: Debian's Chromium, driven by Playwright.

The young person writes; the advocate sees the relay and answers with Telegram's reply; the young
person presses Help now; the supervisor sees the alert and acknowledges it; last, a message in
Tigrinya must be drawn on both phones with an Ethiopic font, not as boxes. A screenshot of each
step goes to tests/artefacts/sandbox/ (ignored by git). Without Chromium or Playwright the test
is skipped with the reason (without an Ethiopic font, its last check is), except in CI, which
installs Chromium and the fonts (.ci/run): there a skip would hide a failure, so it fails.

Playwright's own browser download is not used: the system's Chromium is, with the flags that
keep it from reaching the network on its own.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from bot.notices import help_now_label
from bot.sandbox import SandboxServer
from bot.sandbox.scenarios import TIGRINYA
from safety import load_contacts
from tests.conftest import PATIENCE

pytestmark = pytest.mark.slow
CHROMIUM = Path(os.environ.get("ALONGSIDE_TEST_CHROMIUM", "/usr/bin/chromium"))
ARTEFACTS = Path(__file__).resolve().parents[1] / "artefacts" / "sandbox"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 30_000 * PATIENCE
ETHIOPIC = re.compile(r"Ethiopic|Abyssinica|Nyala|Ebrima|Kefa", re.IGNORECASE)
# The element whose own text holds the words, on one phone.
FIND_TEXT = """(() => {
  const phone = document.querySelector(`.phone[data-role=${JSON.stringify(%s)}]`);
  const words = %s;
  const walk = document.createTreeWalker(phone, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    if (node.data.includes(words) && node.parentElement.closest(".message .body")) {
      return node.parentElement;
    }
  }
  return null;
})()"""


def chromium() -> Path:
    """The browser to drive, or a skip (a failure in CI) saying what is missing."""
    problem = None
    if importlib.util.find_spec("playwright") is None:
        problem = "Playwright is not installed (pip install -e '.[dev]')"
    elif not CHROMIUM.exists():
        problem = f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)"
    if problem is None:
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"{problem}: CI must run the browser test (.ci/run installs Chromium)")
    pytest.skip(problem)


async def rendered_with(page: Any, role: str, text: str) -> list[dict[str, Any]]:
    """The fonts Chromium drew `text` with on `role`'s phone, and how many glyphs each (DevTools'
    CSS.getPlatformFontsForNode): a script with no font for it is drawn as boxes, counted
    against whichever font came first."""
    cdp = await page.context.new_cdp_session(page)
    try:
        await cdp.send("DOM.enable")
        await cdp.send("CSS.enable")
        await cdp.send("DOM.getDocument", {"depth": -1})
        found = await cdp.send(
            "Runtime.evaluate",
            {"expression": FIND_TEXT % (json.dumps(role), json.dumps(text))},
        )
        assert found["result"].get("objectId"), f"no {text!r} on the {role} phone"
        node = await cdp.send("DOM.requestNode", {"objectId": found["result"]["objectId"]})
        fonts = await cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})
    finally:
        await cdp.detach()
    return list(fonts["fonts"])


async def test_a_young_person_an_advocate_and_a_supervisor_in_the_browser(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    browser_path = chromium()
    from playwright.async_api import async_playwright, expect

    ARTEFACTS.mkdir(parents=True, exist_ok=True)

    async def shot(page: Any, name: str) -> None:
        await page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)

    async with SandboxServer("127.0.0.1:0") as server, async_playwright() as playwright:
        browser = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(browser_path),
            headless=True,
            args=FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        page = await browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            await page.goto(server.url)
            status = page.locator("#status")
            await expect(status).to_have_attribute("data-kind", "ready", timeout=WAIT_MS)
            young, advocate, supervisor = (
                page.locator(f'.phone[data-role="{role}"]')
                for role in ("young", "advocate", "supervisor")
            )
            # Linked: her keyboard is there, in her language.
            assert server.sandbox is not None
            assert server.sandbox.world is not None
            help_now = help_now_label(server.sandbox.world.demo.tr("sq"))
            await expect(young.locator(".keyboard .key", has_text=help_now)).to_be_visible()
            await shot(page, "1-linked")

            # The young person writes; markup in her words stays words on every phone.
            words = "Kur takohemi? <img src=x onerror=\"document.title='taken'\"> <b>Rosa</b>"
            await young.locator(".compose .text").fill(words)
            await young.locator(".compose .send").click()
            relay = advocate.locator(".message.theirs", has_text=words)
            await expect(relay).to_be_visible(timeout=WAIT_MS)
            assert await page.locator(".chat img, .chat b").count() == 0
            await shot(page, "2-relayed")

            # The advocate answers with Telegram's reply, quoting what she answers.
            await relay.locator(".reply-button").click()
            await expect(advocate.locator(".replying")).to_be_visible()
            answer = "Hello Ana, I can meet you tomorrow at 10 at the centre."
            await advocate.locator(".compose .text").fill(answer)
            await advocate.locator(".compose .text").press("Enter")
            await expect(young.locator(".message.theirs", has_text=answer)).to_be_visible(
                timeout=WAIT_MS
            )
            sent = advocate.locator(".message.mine", has_text=answer)
            await expect(sent.locator(".reply-quote")).to_contain_text("Kur takohemi?")
            await expect(advocate.locator(".replying")).to_be_hidden()

            # Help now, from her keyboard: the emergency numbers, and the supervisor is alerted.
            await young.locator(".keyboard .key", has_text=help_now).click()
            alert = supervisor.locator(".message.theirs", has_text="🚨")
            await expect(alert).to_be_visible(timeout=WAIT_MS)
            number = load_contacts("uk").emergency.number
            await expect(young.locator(".message.theirs", has_text=number).last).to_be_visible(
                timeout=WAIT_MS
            )
            # Her chat follows what arrives, under a keyboard that took room from it.
            await expect(young.locator(".message").last).to_be_in_viewport()
            await shot(page, "3-alerted")

            await alert.locator("button.inline", has_text="Acknowledge").click()
            await expect(
                supervisor.locator(".message.theirs", has_text="Acknowledged: Star")
            ).to_be_visible(timeout=WAIT_MS)
            await shot(page, "4-acknowledged")
            assert await page.title() == "Alongside sandbox (practice)", "no script ran"

            # Tigrinya, in Ethiopic script, as letters rather than boxes on both phones.
            await young.locator(".compose .text").fill(TIGRINYA)
            await young.locator(".compose .send").click()
            relayed = advocate.locator(".message.theirs .body", has_text=TIGRINYA)
            await expect(relayed).to_be_visible(timeout=WAIT_MS)
            await shot(page, "5-tigrinya")
            assert errors == []
            drawn = {r: await rendered_with(page, r, TIGRINYA) for r in ("young", "advocate")}
        except BaseException:
            await shot(page, "failed")
            raise
        finally:
            await browser.close()
    with capsys.disabled():
        print(f"\nsandbox screenshots: {ARTEFACTS}")
    letters = sum(1 for c in TIGRINYA if "\u1200" <= c <= "\u139f")
    for role, fonts in drawn.items():
        ethiopic = [f for f in fonts if ETHIOPIC.search(f["familyName"])]
        if not ethiopic and not os.environ.get("CI"):
            pytest.skip(f"no Ethiopic font (Debian: apt-get install fonts-noto-core): {fonts}")
        assert ethiopic, f"Tigrinya drawn on the {role} phone with {fonts}: boxes"
        assert sum(f["glyphCount"] for f in ethiopic) == letters, fonts
