"""A small, dependency-free readability measure for English text.

Used by ``tests/test_readability.py`` to keep child-facing content plain. It implements the two
classic Flesch formulas:

* Flesch reading ease  = 206.835 - 1.015 * (words / sentences) - 84.6 * (syllables / words)
  (higher is easier; 70+ is "fairly easy", about age 12-13; 80+ is "easy").
* Flesch-Kincaid grade = 0.39 * (words / sentences) + 11.8 * (syllables / words) - 15.59
  (a US school grade; grade 6 is about age 11-12).

Decisions (heuristics, documented so reviewers can judge the figures):

Words
    A word is a run of letters and digits, with inner apostrophes or hyphens allowed
    (``don't``, ``looked-after`` and ``16-year-old`` are one word each). Other punctuation is
    ignored. A phone number written ``0800 1111`` is two words.

Sentences
    A sentence ends at ``.``, ``!`` or ``?`` (one or more) followed by a space, a line break or the
    end of the text. A line break also ends a sentence, so each line of a list is counted as its
    own sentence, and so is a title without a full stop. Segments without any word are ignored.
    Content should avoid abbreviations with full stops (``e.g.``, ``etc.``): they would split a
    sentence. Colons and semicolons do not end a sentence.

Syllables in ordinary words
    Count groups of vowels (``a e i o u``, and ``y`` when not the first letter), plus one for
    ``ia`` (``guardian``) except in ``-cial``/``-tial`` (``social``), then: a final
    silent ``e`` is not counted (but ``-le`` after a consonant is, as in ``table``); a final
    ``-es`` or ``-ed`` is not counted unless it follows a sound that needs its own syllable
    (``-ses``, ``-ches``, ``-ted``, ``-ded``...). Every word has at least one syllable.
    Hyphenated words are the sum of their parts. This is the usual heuristic; it is right for most
    common words and close for the rest.

Abbreviations
    A word of two or more letters written all in capitals (``NRM``, ``GP``, ``ICTG``, ``UK``) is
    read letter by letter, as people say it: one syllable a letter, three for ``W``. Each
    abbreviation is one word. So abbreviations count as "long" words, which is fair: a child has to
    learn what they mean. (Content should explain each one in plain words.)

Numbers
    A number is one word. Up to three digits without a leading zero (``30``, ``999``), or a year
    from 1900 to 2099 (``2015``), it is read as a number: ``thirty`` is 2 syllables, ``2015``
    (``two thousand fifteen``) is 5, and ``999`` (``nine hundred ninety-nine``) is 6, though
    people say "nine nine nine": that errs on the strict side. Any other group of digits
    (``0800``, ``1111``, ``08000``) is taken to be part of a phone number and counts as one
    syllable: a reader copies a phone number by sight rather than sounding it out, and counting
    every digit would mark every text that gives Childline's number as hard to read. Letters
    joined to digits (``s45``, ``16th``) add nothing: the token counts as its digits.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:['’\-][A-Za-z0-9]+)*")
_SENTENCE_SPLIT_RE = re.compile(r"(?:[.!?]+(?=[\s\"'’”)\]]|$))|\n")
_VOWEL_GROUP_RE = re.compile(r"[aeiouy]+")

_DIGIT_SYLLABLES = {
    "0": 2,  # zero
    "1": 1,
    "2": 1,
    "3": 1,
    "4": 1,
    "5": 1,
    "6": 1,
    "7": 2,  # seven
    "8": 1,
    "9": 1,
}
# one, two, ... nineteen
_UNDER_TWENTY = (0, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 3, 1, 2, 2, 2, 2, 3, 2, 2)
# (zero), (ten), twenty, thirty, forty, fifty, sixty, seventy, eighty, ninety
_TENS = (0, 1, 2, 2, 2, 2, 2, 3, 2, 2)


def _number_syllables(value: int) -> int:
    """Syllables in ``value`` (0..9999) said the British way, without "and"."""
    if value == 0:
        return 2
    total = 0
    thousands, rest = divmod(value, 1000)
    if thousands:
        total += _UNDER_TWENTY[thousands] + 2  # "thou-sand"
    hundreds, rest = divmod(rest, 100)
    if hundreds:
        total += _UNDER_TWENTY[hundreds] + 2  # "hun-dred"
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        total += _TENS[tens] + (_UNDER_TWENTY[ones] if ones else 0)
    elif rest:
        total += _UNDER_TWENTY[rest]
    return total


def _digits_syllables(digits: str) -> int:
    if len(digits) <= 3 and not digits.startswith("0"):
        return _number_syllables(int(digits))  # a quantity: "30", "999"
    if len(digits) == 4 and 1900 <= int(digits) <= 2099:
        return _number_syllables(int(digits))  # a year: "2015"
    return 1  # part of a phone number: copied by sight, not sounded out


def _plain_word_syllables(word: str) -> int:
    """Heuristic syllables in one ordinary lower-case word made of letters."""
    if not word:
        return 0
    if len(word) <= 3:
        return max(1, len(_VOWEL_GROUP_RE.findall(word[0].replace("y", "") + word[1:])))
    # "y" at the start of a word is a consonant ("you", "year").
    body = ("_" + word[1:]) if word[0] == "y" else word
    count = len(_VOWEL_GROUP_RE.findall(body))
    # "ia" is two sounds ("guardian", "media"), except in "-cial", "-tial" ("social").
    count += len(re.findall(r"(?<![ct])ia", body))
    if count > 1:
        if word.endswith("e") and not word.endswith(("le", "ee", "ye")):
            count -= 1  # silent final e: "made", "home", "care"
        elif word.endswith("le") and len(word) > 2 and word[-3] in "aeiouy":
            count -= 1  # "while", "mile": the e is silent
        elif word.endswith("es") and not re.search(r"(?:[sxz]|ch|sh|[cg])es$", word):
            count -= 1  # "makes", "homes" (but "buses", "places", "pages")
        elif word.endswith("ed") and not re.search(r"[td]ed$", word):
            count -= 1  # "used", "helped" (but "wanted", "decided")
    return max(1, count)


def syllables(word: str) -> int:
    """Estimate the syllables in one word (see the module notes for the rules)."""
    if "-" in word:
        return sum(syllables(part) for part in word.split("-") if part)
    # An apostrophe joins a word and its ending: "don't", "child's", "you're".
    token = re.sub(r"['’]", "", word)
    if not token:
        return 0
    digits = "".join(ch for ch in token if ch.isdigit())
    if digits:
        return _digits_syllables(digits)
    if len(token) >= 2 and token.isupper():
        return sum(3 if ch == "W" else 1 for ch in token)
    return _plain_word_syllables(token.lower())


def words(text: str) -> list[str]:
    """The words in ``text``."""
    return _WORD_RE.findall(text)


def sentences(text: str) -> list[str]:
    """The sentences in ``text`` that contain at least one word."""
    return [s.strip() for s in _SENTENCE_SPLIT_RE.split(text) if words(s)]


@dataclass(frozen=True)
class Readability:
    """Figures for one text."""

    words: int
    sentences: int
    syllables: int
    longest_sentence: int
    """Words in the longest sentence."""

    @property
    def words_per_sentence(self) -> float:
        return self.words / self.sentences if self.sentences else 0.0

    @property
    def syllables_per_word(self) -> float:
        return self.syllables / self.words if self.words else 0.0

    @property
    def reading_ease(self) -> float:
        """Flesch reading ease (higher is easier)."""
        return 206.835 - 1.015 * self.words_per_sentence - 84.6 * self.syllables_per_word

    @property
    def grade(self) -> float:
        """Flesch-Kincaid grade level (lower is easier)."""
        return 0.39 * self.words_per_sentence + 11.8 * self.syllables_per_word - 15.59


def analyse(text: str) -> Readability:
    """Measure ``text``. An empty text has zero words and sentences."""
    sents = sentences(text)
    all_words = words(text)
    return Readability(
        words=len(all_words),
        sentences=len(sents),
        syllables=sum(syllables(w) for w in all_words),
        longest_sentence=max((len(words(s)) for s in sents), default=0),
    )


def flesch_reading_ease(text: str) -> float:
    """Flesch reading ease of ``text``."""
    return analyse(text).reading_ease


def flesch_kincaid_grade(text: str) -> float:
    """Flesch-Kincaid grade of ``text``."""
    return analyse(text).grade


def median(values: list[float]) -> float:
    """The median, for summary tables."""
    return statistics.median(values)
