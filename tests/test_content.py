"""Journey content is data: the file is checked at load, its passages are keyed by msgctxt in the
catalogs, an English edit keeps the translations (fuzzy), and numbers come from the contacts file.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog

from bot.catalogs import check, extract_journey, po_path, read
from bot.content import Passage, journey_content
from bot.content.journey_uk import SOURCE
from bot.content.loading import ContentError, parse
from bot.i18n import LANGUAGES, LOCALES_DIR, Catalogs
from conversations.journey import Stage
from safety import load_contacts

ROOT = LOCALES_DIR.parent
OTHERS = [lang.code for lang in LANGUAGES if lang.code != "en"]
NUMBERS = {c.id: c.number for c in load_contacts("uk").contacts}


def content_data() -> dict[str, Any]:
    """The UK content as the dict its file holds."""
    journey = journey_content("uk")
    return {
        "region": "uk",
        "stage": {
            stage.value: {
                name: getattr(text, name).source
                for name in (
                    "title",
                    "where_you_are",
                    "what_next",
                    "how_long",
                    "your_rights",
                    "who_can_help",
                )
            }
            for stage, text in journey.stages.items()
        },
        "topic": {t.id: {"title": t.title.source, "body": t.body.source} for t in journey.topics},
        "glossary": {
            g.id: {"term": g.term.source, "meaning": g.meaning.source} for g in journey.glossary
        },
    }


def to_toml(data: dict[str, Any]) -> str:
    tables = ("stage", "topic", "glossary")
    lines = [f"{key} = {json.dumps(value)}" for key, value in data.items() if key not in tables]
    for table in tables:
        for entry, values in data.get(table, {}).items():
            lines.append(f"[{table}.{entry}]")
            lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def test_the_file_loads_and_a_round_trip_reads_the_same() -> None:
    again = parse(to_toml(content_data()), "copy.toml", "uk")
    assert again.passages() == journey_content("uk").passages()
    assert [p.context for p in again.passages()] == [
        p.context for p in journey_content("uk").passages()
    ]


def test_every_passage_has_a_unique_stable_context() -> None:
    contexts = [p.context for p in journey_content("uk").passages()]
    assert len(contexts) == len(set(contexts))
    court = journey_content("uk").stages[Stage.COURT]
    assert court.how_long.context == "uk.stage.court.how_long"


def test_every_passage_is_in_the_template_under_its_context() -> None:
    """What ``babel.cfg`` extracts from the file, and what the committed template holds."""
    with SOURCE.open("rb") as handle:
        extracted = [
            (messages, funcname)
            for _, funcname, messages, _ in extract_journey(handle, ["pgettext"], [], {})
        ]
    passages = journey_content("uk").passages()
    assert extracted == [((p.context, p.source), "pgettext") for p in passages]
    template = read(LOCALES_DIR / "messages.pot")
    missing = [p.context for p in passages if template.get(p.source, p.context) is None]
    assert not missing, f"run `make catalogs`: {missing[:5]}"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda d: d["stage"]["court"].pop("how_long"), r"\[stage\.court\] lacks how_long"),
        (
            lambda d: d["stage"]["court"].update(colour="red"),
            r"\[stage\.court\] has unknown keys colour",
        ),
        (lambda d: d["stage"].pop("placement"), r"\[stage\] lacks placement"),
        (lambda d: d["stage"].update(holiday=d["stage"]["court"]), r"unknown keys holiday"),
        (
            lambda d: d["topic"]["health"].update(body="Call {doctor} now."),
            r"uk\.topic\.health\.body: unknown placeholder \{doctor\}",
        ),
        (lambda d: d["topic"]["health"].update(body="Call {childline now."), r"broken braces"),
        (lambda d: d["glossary"]["gp"].update(term=" "), r"\[glossary\.gp\] term must be"),
        (lambda d: d.pop("glossary"), r"the file lacks glossary"),
        (lambda d: d.update(region="fr"), r"region is 'fr', expected 'uk'"),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_error(change: Any, error: str) -> None:
    data = content_data()
    change(data)
    with pytest.raises(ContentError, match=error):
        parse(to_toml(data), "journey_uk.toml", "uk")


def test_unknown_top_level_key_and_bad_toml_are_refused() -> None:
    text = to_toml(content_data())
    with pytest.raises(ContentError, match="the file has unknown keys title"):
        parse(to_toml({**content_data(), "title": "x"}), "journey_uk.toml", "uk")
    with pytest.raises(ContentError, match=r"journey_uk\.toml: not valid TOML"):
        parse(text + "[stage\n", "journey_uk.toml", "uk")


def test_numbers_are_filled_from_the_contacts_file() -> None:
    passage = Passage("uk.test.x.body", "Call {emergency} or {childline}.", NUMBERS)
    assert passage == f"Call {NUMBERS['emergency']} or {NUMBERS['childline']}."
    assert passage.render(Catalogs().get("fr")) == passage  # not in any catalog: English
    first = journey_content("uk").stages[Stage.FIRST_MEETING].who_can_help
    assert "{childline}" in first.source
    assert NUMBERS["childline"] in first.render(Catalogs().get("vi"))


def _digits(text: str) -> str:
    """Any script's decimal digits as ASCII, spaces removed between them."""
    ascii_ = "".join(
        str(unicodedata.digit(c)) if unicodedata.digit(c, None) is not None else c for c in text
    )
    return re.sub(r"(?<=\d)[\s\u00a0\u202f\u2068\u2069\u2066]+(?=\d)", "", ascii_)


@pytest.mark.parametrize("locale", [lang.code for lang in LANGUAGES])
def test_no_catalog_string_holds_a_number_of_the_contacts_file(locale: str) -> None:
    numbers = {re.sub(r"\D", "", n) for n in NUMBERS.values()} | {"999"}
    pattern = re.compile(rf"(?<!\d)(?:{'|'.join(sorted(numbers, key=len, reverse=True))})(?!\d)")
    catalog = read(po_path(locale), locale)
    found = []
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        found += [t for t in (*ids, *strings) if t and pattern.search(_digits(t))]
    assert not found, f"numbers typed into {locale} strings (use a placeholder): {found[:3]}"


# The extract → update pipeline of `make catalogs`, on a copy of the tree ---------------------


def _copy_tree(tmp: Path) -> Path:
    root = tmp / "tree"
    shutil.copytree(
        ROOT / "bot", root / "bot", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    shutil.copytree(
        ROOT / "locales", root / "locales", ignore=shutil.ignore_patterns("__pycache__", "*.mo")
    )
    shutil.copy(ROOT / "babel.cfg", root / "babel.cfg")
    return root


def _entries(catalog: Catalog) -> dict[tuple[object, str | None], tuple[object, bool]]:
    return {
        (m.id if isinstance(m.id, str) else tuple(m.id), m.context): (
            m.string if isinstance(m.string, str) else tuple(m.string),
            m.fuzzy,
        )
        for m in catalog
        if m.id
    }


def test_an_english_edit_keeps_translations_marked_fuzzy(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    content = root / "bot" / "content" / SOURCE.name
    text = content.read_text(encoding="utf-8")
    assert text.count('title = "Going to court"') == 1
    content.write_text(
        text.replace('title = "Going to court"', 'title = "Going to a court"'), encoding="utf-8"
    )
    before = {
        code: _entries(read(po_path(code, root / "locales"), code))
        for lang in LANGUAGES
        for code in [lang.code]
    }

    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-C",
            str(ROOT),
            "-o",
            f"{bin_dir}/.installed",
            f"BIN={bin_dir}",
            f"CATALOGS_ROOT={root}",
            "catalogs",
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )

    key = "uk.stage.court.title"
    for code in OTHERS:
        catalog = read(po_path(code, root / "locales"), code)
        message = catalog.get("Going to a court", key)
        assert message is not None, code
        assert message.string == before[code]["Going to court", key][0], "translation kept"
        assert message.fuzzy, code
        text = po_path(code, root / "locales").read_text(encoding="utf-8")
        assert f'#| msgid "Going to court"\nmsgctxt "{key}"' in text, "the old English is shown"
        after = _entries(catalog)
        assert after.pop(("Going to a court", key)) is not None
        unchanged = dict(before[code])
        unchanged.pop(("Going to court", key))
        assert after == unchanged, f"{code}: only the edited passage changed"
        problems = [str(p) for p in check(code, root / "locales")]
        assert problems == [f"{code}: fuzzy: {key!r}"]
    english = read(po_path("en", root / "locales"), "en").get("Going to a court", key)
    assert english is not None
    assert (english.string, english.fuzzy) == ("Going to a court", False)
    # Until a translator checks it, the bot shows the new English, not the old translation.
    vi = Catalogs(directory=root / "locales").get("vi")
    assert Passage(key, "Going to a court", NUMBERS).render(vi) == "Going to a court"
