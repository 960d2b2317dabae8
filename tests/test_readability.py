"""Plain-language checks for the UK journey content, and for the journey stages themselves.

Every English text a child reads in ``bot.content.journey_uk`` must:

* have at most 120 words, and no sentence longer than 20 words;
* reach Flesch reading ease >= 70 OR Flesch-Kincaid grade <= 6 (either is enough: very short
  texts swing wildly on one measure, and a text that passes either is plain enough);
* not use a word that would endanger a child if someone else read their phone.

Glossary *terms* are the hard words adults use, which the meaning then explains, so they are
exempt from the reading-ease test (still checked for length and for unsafe words). Everything else
(stage titles and fields, topic titles and bodies, glossary meanings) is checked in full.

Unsafe-word rule: the stems ``traffick``, ``slave``/``slavery`` and ``exploit`` (any case, any
ending, so "trafficking", "trafficked", "trafficker", "slavery", "exploitation", "exploited"...)
must not appear anywhere in child-facing text, including titles, glossary terms and official
names: a child hears those from the adults around them, in person.

Run ``pytest -s tests/test_readability.py`` to see the summary table.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import pytest

from bot import privacy
from bot.content import (
    GlossaryEntry,
    JourneyContent,
    StageText,
    Topic,
    journey_content,
    journey_uk,
)
from bot.i18n import Catalogs
from conversations.journey import STAGE_ORDER, Stage, next_stage, parse_stage
from tests import readability
from tests.readability import analyse, flesch_kincaid_grade, flesch_reading_ease, syllables

MAX_WORDS = 120
MAX_SENTENCE_WORDS = 20
MIN_READING_EASE = 70.0
MAX_GRADE = 6.0

UNSAFE_WORD_RE = re.compile(r"[a-z]*(?:traffick|slave|exploit)[a-z]*", re.IGNORECASE)

STAGE_FIELDS = ("title", "where_you_are", "what_next", "how_long", "your_rights", "who_can_help")


def child_texts() -> Iterator[tuple[str, str, bool]]:
    """Every child-facing English text: (name, text, held to the reading-ease test)."""
    for stage in STAGE_ORDER:
        text = journey_uk.STAGES[stage]
        for field in STAGE_FIELDS:
            yield f"stage {stage.value}.{field}", getattr(text, field), True
    for topic in journey_uk.TOPICS:
        yield f"topic {topic.id}.title", topic.title, True
        yield f"topic {topic.id}.body", topic.body, True
    for entry in journey_uk.GLOSSARY:
        yield f"glossary {entry.term!r}.term", entry.term, False
        yield f"glossary {entry.term!r}.meaning", entry.meaning, True
    # The privacy notice (the children's code), at the default retention and at one day.
    english = Catalogs().get("en")
    for days in (365, 1):
        yield f"privacy notice ({days} days)", privacy.notice_text(english, days), True


def unsafe_words(text: str) -> list[str]:
    """The words in ``text`` that would endanger a child if someone else read their phone."""
    return UNSAFE_WORD_RE.findall(text)


def problems(text: str, *, reading_ease_test: bool = True) -> list[str]:
    """Why ``text`` fails the plain-language rules (empty if it passes)."""
    figures = analyse(text)
    found: list[str] = []
    if figures.words == 0:
        found.append("is empty")
        return found
    if figures.words > MAX_WORDS:
        found.append(f"has {figures.words} words (max {MAX_WORDS})")
    for sentence in readability.sentences(text):
        count = len(readability.words(sentence))
        if count > MAX_SENTENCE_WORDS:
            found.append(f"has a {count}-word sentence (max {MAX_SENTENCE_WORDS}): {sentence!r}")
    if reading_ease_test and figures.reading_ease < MIN_READING_EASE and figures.grade > MAX_GRADE:
        found.append(
            f"reading ease {figures.reading_ease:.1f} < {MIN_READING_EASE:.0f} and "
            f"grade {figures.grade:.1f} > {MAX_GRADE:.0f}"
        )
    return found


# ---------------------------------------------------------------------------------------------
# The readability functions themselves, so the content check cannot pass vacuously.


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("cat", 1),
        ("the", 1),
        ("you", 1),
        ("made", 1),
        ("home", 1),
        ("used", 1),
        ("makes", 1),
        ("table", 2),
        ("people", 2),
        ("water", 2),
        ("places", 2),
        ("wanted", 2),
        ("social", 2),
        ("police", 2),
        ("decided", 3),
        ("guardian", 3),
        ("beautiful", 3),
        ("education", 4),
        ("interpreter", 4),
        ("don't", 1),
        ("looked-after", 3),
        ("NRM", 3),  # en-ar-em: abbreviations are read letter by letter
        ("GP", 2),
        ("WWF", 7),  # W is three syllables
        ("30", 2),  # thir-ty
        ("18", 2),  # eigh-teen
        ("999", 6),  # nine hun-dred nine-ty nine (read as a number: errs on the strict side)
        ("2015", 5),  # two thou-sand fif-teen
        ("0800", 1),  # part of a phone number: read by sight
        ("1111", 1),
    ],
)
def test_syllables(word: str, expected: int) -> None:
    assert syllables(word) == expected


def test_words_and_sentences() -> None:
    text = "You are safe. Ask your advocate!\nWhat happens next? Call 0800 1111, day or night."
    assert readability.words(text) == [
        "You", "are", "safe", "Ask", "your", "advocate",
        "What", "happens", "next", "Call", "0800", "1111", "day", "or", "night",
    ]  # fmt: skip
    assert readability.sentences(text) == [
        "You are safe",
        "Ask your advocate",
        "What happens next",
        "Call 0800 1111, day or night",
    ]
    assert analyse(text).longest_sentence == 6
    assert analyse("").words == 0
    assert analyse("").sentences == 0
    assert analyse("Title without a full stop").sentences == 1
    assert readability.words("A children's home, looked-after.") == [
        "A",
        "children's",
        "home",
        "looked-after",
    ]


def test_known_easy_sentence() -> None:
    # 6 words, 1 sentence, 6 syllables: 206.835 - 1.015*6 - 84.6*1 = 116.145
    text = "The cat sat on the mat."
    assert flesch_reading_ease(text) == pytest.approx(116.145)
    assert flesch_kincaid_grade(text) == pytest.approx(0.39 * 6 + 11.8 - 15.59)
    assert problems(text) == []


def test_known_formula_values() -> None:
    # 12 words, 2 sentences, 17 syllables (checked by hand, syllable by syllable):
    # your ad-vo-cate is on your side / they help you un-der-stand what hap-pens
    text = "Your advocate is on your side. They help you understand what happens."
    figures = analyse(text)
    assert (figures.words, figures.sentences) == (12, 2)
    assert figures.syllables == 17
    assert figures.reading_ease == pytest.approx(206.835 - 1.015 * 6 - 84.6 * 17 / 12)
    assert figures.grade == pytest.approx(0.39 * 6 + 11.8 * 17 / 12 - 15.59)


HARD_PARAGRAPH = (
    "Notwithstanding the aforementioned considerations, the Single Competent Authority's "
    "determination regarding conclusive grounds necessitates comprehensive evaluation of "
    "corroborative documentation. Consequently, administrative processing frequently "
    "experiences considerable, unpredictable procedural delays."
)


def test_hard_paragraph_fails() -> None:
    figures = analyse(HARD_PARAGRAPH)
    assert figures.reading_ease < 10
    assert figures.grade > 18
    found = problems(HARD_PARAGRAPH)
    assert any("reading ease" in p for p in found)


def test_long_text_and_long_sentence_fail() -> None:
    long_sentence = " ".join(["you"] * 21) + "."
    assert any("21-word sentence" in p for p in problems(long_sentence))
    long_text = "You are safe here. " * 31  # 124 words, all short sentences
    found = problems(long_text)
    assert any("124 words" in p for p in found)
    assert problems("") == ["is empty"]


def test_unsafe_word_rule() -> None:
    assert unsafe_words("People who were trafficked") == ["trafficked"]
    assert unsafe_words("SLAVERY and Exploitation") == ["SLAVERY", "Exploitation"]
    assert unsafe_words("the Modern Slavery Act") == ["Slavery"]
    assert unsafe_words("people who hurt or used you") == []


# ---------------------------------------------------------------------------------------------
# The content.


def test_every_stage_has_text() -> None:
    assert set(journey_uk.STAGES) == set(Stage)
    for stage, text in journey_uk.STAGES.items():
        assert isinstance(text, StageText), stage
        for field in STAGE_FIELDS:
            assert getattr(text, field).strip(), f"{stage.value}.{field} is empty"


def test_stage_order_and_next_stage() -> None:
    assert list(STAGE_ORDER) == list(Stage)
    assert len(set(STAGE_ORDER)) == len(STAGE_ORDER)
    assert STAGE_ORDER[0] is Stage.FIRST_MEETING
    for here, there in itertools.pairwise(STAGE_ORDER):
        assert next_stage(here) is there
    assert next_stage(STAGE_ORDER[-1]) is None
    assert [s.value for s in STAGE_ORDER] == [
        "first_meeting",
        "nrm_referral",
        "reasonable_grounds",
        "recovery_period",
        "conclusive_grounds",
        "age_assessment",
        "placement",
        "police_interview",
        "court",
        "immigration_claim",
        "leaving_care",
    ]
    assert parse_stage("court") is Stage.COURT
    assert parse_stage("nonsense") is None


def test_topics_and_glossary_shape() -> None:
    ids = [t.id for t in journey_uk.TOPICS]
    assert len(ids) == len(set(ids)), "topic ids must be unique"
    for topic_id in ids:
        assert re.fullmatch(r"[a-z][a-z0-9_]{0,31}", topic_id), topic_id
    assert {
        "advocate",
        "not_your_fault",
        "solicitor",
        "interpreter",
        "health",
        "school",
        "care",
        "special_measures",
        "age_disputed",
    } <= set(ids)
    assert all(isinstance(t, Topic) for t in journey_uk.TOPICS)
    terms = [g.term.casefold() for g in journey_uk.GLOSSARY]
    assert len(terms) == len(set(terms)), "glossary terms must be unique"
    assert len(journey_uk.GLOSSARY) >= 20
    assert all(isinstance(g, GlossaryEntry) for g in journey_uk.GLOSSARY)
    for required in (
        "nrm",
        "home office",
        "first responder",
        "single competent authority",
        "reasonable grounds",
        "conclusive grounds",
        "recovery period",
        "placement",
        "pathway plan",
        "looked-after child",
        "social worker",
        "age assessment",
        "solicitor",
        "legal aid",
        "asylum",
        "leave to remain",
        "interpreter",
        "ictg",
        "special measures",
        "witness",
        "statement",
        "care leaver",
        "personal adviser",
    ):
        assert required in terms, f"glossary lacks {required!r}"


def test_region_lookup() -> None:
    content = journey_content("UK")
    assert isinstance(content, JourneyContent)
    assert content.stages is journey_uk.STAGES
    assert content.topic("health") is not None
    assert content.topic("nope") is None
    with pytest.raises(ValueError, match="no journey content"):
        journey_content("atlantis")


def test_every_text_is_plain() -> None:
    failures = [
        f"{name}: " + "; ".join(found)
        for name, text, ease_test in child_texts()
        if (found := problems(text, reading_ease_test=ease_test))
    ]
    assert not failures, "Texts that are not plain enough:\n" + "\n".join(failures)


def test_no_unsafe_words_in_child_facing_text() -> None:
    failures = []
    for name, text, _ in child_texts():
        if found := unsafe_words(text):
            failures.append(f"{name}: {found}")
    assert not failures, "Unsafe words in child-facing text:\n" + "\n".join(failures)


def test_summary_table() -> None:
    """Print min/median/max figures (see them with ``pytest -s``)."""
    rows = [(name, analyse(text)) for name, text, ease_test in child_texts() if ease_test]
    ease = [f.reading_ease for _, f in rows]
    grade = [f.grade for _, f in rows]
    word_counts = [float(f.words) for _, f in rows]
    longest_name, longest = max(rows, key=lambda row: row[1].longest_sentence)
    hardest_name, hardest = min(rows, key=lambda row: row[1].reading_ease)
    top_grade_name, top_grade = max(rows, key=lambda row: row[1].grade)
    lines = [
        "",
        f"Readability of {len(rows)} child-facing English texts (journey_uk, privacy)",
        f"{'measure':<22}{'min':>8}{'median':>8}{'max':>8}",
        f"{'Flesch reading ease':<22}{min(ease):>8.1f}{readability.median(ease):>8.1f}"
        f"{max(ease):>8.1f}",
        f"{'Flesch-Kincaid grade':<22}{min(grade):>8.1f}{readability.median(grade):>8.1f}"
        f"{max(grade):>8.1f}",
        f"{'words per text':<22}{min(word_counts):>8.0f}"
        f"{readability.median(word_counts):>8.0f}{max(word_counts):>8.0f}",
        f"longest sentence: {longest.longest_sentence} words ({longest_name})",
        f"lowest reading ease: {hardest.reading_ease:.1f}, grade {hardest.grade:.1f} "
        f"({hardest_name})",
        f"highest grade: {top_grade.grade:.1f}, reading ease {top_grade.reading_ease:.1f} "
        f"({top_grade_name})",
    ]
    print("\n".join(lines))
    assert rows
