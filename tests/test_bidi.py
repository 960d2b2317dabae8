"""Right-to-left texts lay out right to left, phone numbers read in their own order, and a name in
another script never reorders the sentence around it: checked with the Unicode Bidirectional
Algorithm (python-bidi), on every string as the bot renders it, with its placeholders filled.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from bidi import get_base_level, get_display

from bot.catalogs import placeholders, read
from bot.child_texts import child_texts
from bot.i18n import FSI, LANGUAGES, LOCALES_DIR, PDI, Catalogs, Translator
from safety import load_contacts

RTL = [lang.code for lang in LANGUAGES if lang.rtl]
LTR = ["fr", "en"]
NUMBERS = {c.id: c.number for c in load_contacts("uk").contacts}
PHONE = NUMBERS["childline"]
LATIN_NAME, ARABIC_NAME = "Sam Lee", "محمد"
COUNTS = {"n", "count", "page", "pages", "hour", "day"}
TIMES = {"time", "when", "open"}
CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Letters outside an isolate: what sets a line's direction (UAX #9, rule P2).
STRONG = re.compile(r"[^\W\d_]")
ISOLATED = re.compile(f"[\u2066\u2067{FSI}][^{PDI}]*{PDI}")
# Digits in groups ("0800 1111"), the shape whose order bidi can break.
GROUPED_DIGITS = re.compile(r"\d[\d:./-]*(?:[ \u00a0]+\d[\d:./-]*)+")


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs()


def _value(field: str, name: str) -> Any:
    if field in NUMBERS or field == "number":
        return NUMBERS.get(field, PHONE)
    if field == "code":
        return "55"
    if field in COUNTS:
        return 3
    if field in TIMES:
        return "14:30"
    return name


def renderings(tr: Translator, name: str) -> Iterator[tuple[str, str, list[str]]]:
    """Every catalog message rendered in ``tr``'s language: (key, text, phone numbers in it)."""
    for entry in read(LOCALES_DIR / "messages.pot"):
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple | list) else (entry.id,)
        fields = set().union(*(placeholders(i) for i in ids))
        values = {f: _value(f, name) for f in fields}
        numbers = [v for f, v in values.items() if f in NUMBERS or f == "number"]
        key = f"{entry.context or ''} {ids[0][:50]!r}"
        if entry.context:
            yield key, tr.p_(entry.context, ids[0], **values), numbers
        elif len(ids) > 1:
            values.pop("n", None)
            for n in (1, 3):
                yield key, tr.n_(ids[0], ids[1], n, **values), numbers
        else:
            yield key, tr._(ids[0], **values), numbers


def composed(tr: Translator) -> Iterator[tuple[str, str, list[str]]]:
    """Every whole message a child can read (the emergency answer, journey pages...). Button
    labels are left out: Telegram centres a button's one line, and the emoji before the label is
    the bot's, not the catalog's."""
    for key, render in child_texts().items():
        if not key.endswith("_label"):
            text = render(tr).text
            yield key, text, [n for n in NUMBERS.values() if n in text]


def visual(line: str) -> str:
    return CONTROLS.sub("", get_display(line))


def rtl_problems(text: str, numbers: list[str]) -> list[str]:
    problems = []
    for line in text.split("\n"):
        if STRONG.search(ISOLATED.sub("", line)) and get_base_level(line) != 1:
            problems.append(f"line reads left to right: {line[:40]!r}")
        shown = visual(line)
        typed = GROUPED_DIGITS.findall(ISOLATED.sub("", line))
        for number in [n for n in numbers if n in CONTROLS.sub("", line)] + typed:
            if number not in shown:
                problems.append(f"{number} shows as {shown!r}")
    return problems


@pytest.mark.parametrize("locale", RTL)
@pytest.mark.parametrize("name", [LATIN_NAME, ARABIC_NAME])
def test_every_catalog_text_reads_right_to_left_with_numbers_in_order(
    locale: str, name: str, catalogs: Catalogs
) -> None:
    tr = catalogs.get(locale)
    found = [
        f"{key}: {problem}"
        for key, text, numbers in renderings(tr, name)
        for problem in rtl_problems(text, numbers)
    ]
    assert not found, f"{len(found)} in {locale}:\n" + "\n".join(found[:20])


@pytest.mark.parametrize("locale", RTL)
def test_every_message_a_child_reads_lays_out_right_to_left(
    locale: str, catalogs: Catalogs
) -> None:
    found = [
        f"{key}: {problem}"
        for key, text, numbers in composed(catalogs.get(locale))
        for problem in rtl_problems(text, numbers)
    ]
    assert not found, f"{len(found)} in {locale}:\n" + "\n".join(found[:20])


@pytest.mark.parametrize("locale", RTL)
def test_the_emergency_answer_shows_each_number_in_its_own_order(
    locale: str, catalogs: Catalogs
) -> None:
    text = {key: text for key, text, _ in composed(catalogs.get(locale))}["emergency"]
    shown = [visual(line) for line in text.split("\n")]
    for number in (PHONE, NUMBERS["samaritans"], NUMBERS["missing_people"]):
        assert any(number in line for line in shown), (number, shown)


@pytest.mark.parametrize("locale", LTR)
def test_a_name_in_arabic_script_is_isolated_and_the_sentence_stays_left_to_right(
    locale: str, catalogs: Catalogs
) -> None:
    tr, found, checked = catalogs.get(locale), [], 0
    for key, text, _ in renderings(tr, ARABIC_NAME):
        if ARABIC_NAME not in text:
            continue
        checked += 1
        if f"{FSI}{ARABIC_NAME}{PDI}" not in text:
            found.append(f"{key}: not isolated")
        for line in text.split("\n"):
            if STRONG.search(ISOLATED.sub("", line)) and get_base_level(line) != 0:
                found.append(f"{key}: reads right to left: {line!r}")
            if get_display(line) != line.replace(ARABIC_NAME, ARABIC_NAME[::-1]):
                found.append(f"{key}: reordered: {get_display(line)!r}")
    assert checked > 20
    assert not found, f"{len(found)} in {locale}:\n" + "\n".join(found[:20])


def test_without_isolation_the_algorithm_would_reorder() -> None:
    """The checks above can fail: the same texts, unisolated, break as the issue describes."""
    assert get_display("اتصل 0800 1111") != get_display(f"اتصل {FSI}0800 1111{PDI}")
    assert PHONE not in visual(f"اتصل على {PHONE}")
    assert PHONE in visual(f"اتصل على {FSI}{PHONE}{PDI}")
    assert get_base_level(f"Childline: {FSI}{PHONE}{PDI} اتصل") == 0
    line = f"Bonjour {ARABIC_NAME}, 12 ans"
    assert get_display(line) != line.replace(ARABIC_NAME, ARABIC_NAME[::-1])
