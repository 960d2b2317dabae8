"""What the statistical model reads in a message: hashed words, character n-grams, emoji, and
the concepts found near each other.

A message is cut into *windows*: the whole of it when short, else runs of consecutive
sentences of up to ``WINDOW`` words, each overlapping the next by a sentence. Each window is
scored alone and the message takes its most worrying window, so one line of danger buried in
a long message weighs as much as on its own, while a sentence keeps the context of its
neighbour ("A year ago I was in danger. Now I am safe.").

Features are strings hashed (CRC-32) into ``BUCKETS`` slots: the same text gives the same ids
in every process, so the committed weights mean the same thing everywhere.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from safety.concepts import Found
from safety.normalize import model_tokens

__all__ = ["BUCKETS", "WINDOW", "Text", "feature_ids", "feature_names", "prepare"]

BUCKETS: Final = 1 << 19
WINDOW: Final = 40
NEAR: Final = 6  # concepts this many words apart or fewer count as together
SCOPE: Final = 3  # words a negation, a past or a resolution reaches
SCOPED: Final = {"negation": "not", "past": "was", "resolved": "over"}
_SENTENCE: Final = re.compile(r"(?<=[.!?؟۔።\n])\s*|[\n;]+")
_GRAMS: Final = (3, 4, 5)


@dataclass(frozen=True, slots=True)
class Text:
    """A message made ready: its tokens, its windows (token spans), its emoji and its shape."""

    tokens: list[str]
    windows: list[tuple[int, int]]
    emoji: frozenset[str]
    shape: tuple[str, ...] = ()


_ENDS: Final = {
    ".": "period",
    "۔": "period",
    "።": "period",
    "!": "bang",
    "?": "question",
    "؟": "question",
    "…": "dots",
}
_QUOTES: Final = re.compile(r"[\"«»„“”‘’]")
_YEAR: Final = re.compile(r"\b(?:1[89]|20)\d\d\b")
_NUMBER: Final = re.compile(r"\d")
_CAPITALISED: Final = re.compile(r"(?<=\s)[A-ZÀ-ÞĀ-Ž][a-zß-ÿā-ž]+")


def _shape(text: str) -> tuple[str, ...]:
    """How the text is written, which normalisation forgets: published prose starts with a
    capital, ends with a full stop, quotes, names people and places, and gives years and
    figures; chat mostly does not."""
    stripped = text.strip()
    if not stripped:
        return ()
    found = [
        "start:upper"
        if stripped[0].isupper()
        else "start:lower"
        if stripped[0].islower()
        else "start:other",
        f"end:{_ENDS.get(stripped[-1], 'none')}",
        f"commas:{min(stripped.count(',') + stripped.count('،'), 3)}",
        f"names:{min(len(_CAPITALISED.findall(stripped)), 3)}",
    ]
    if _QUOTES.search(stripped):
        found.append("quotes")
    if _YEAR.search(stripped):
        found.append("year")
    elif _NUMBER.search(stripped):
        found.append("digits")
    return tuple(found)


def _emoji(text: str) -> frozenset[str]:
    return frozenset(c for c in text if ord(c) > 0x2100 and unicodedata.category(c) == "So")


def prepare(text: str) -> Text:
    tokens: list[str] = []
    sentences: list[tuple[int, int]] = []
    for part in _SENTENCE.split(text):
        words = model_tokens(part) if part and not part.isspace() else []
        if words:
            sentences.append((len(tokens), len(tokens) + len(words)))
            tokens.extend(words)
    emoji = _emoji(text)
    # Nothing to read (empty, spaces, punctuation): no window, so no score; a lone feature such
    # as the length would otherwise carry the whole verdict.
    windows = _windows(sentences, len(tokens)) if tokens or emoji else []
    return Text(tokens, windows, emoji, _shape(text))


def _windows(sentences: list[tuple[int, int]], total: int) -> list[tuple[int, int]]:
    if total <= WINDOW:
        return [(0, total)]
    spans: list[tuple[int, int]] = []
    for first in range(len(sentences)):
        start, end = sentences[first]
        # Extend with following sentences while they fit; a long sentence is cut in halves
        # that overlap.
        last = first
        while last + 1 < len(sentences) and sentences[last + 1][1] - start <= WINDOW:
            last += 1
            end = sentences[last][1]
        if end - start <= WINDOW:
            spans.append((start, end))
        else:
            step = WINDOW // 2
            spans += [
                (a, min(a + WINDOW, end)) for a in range(start, max(end - step, start + 1), step)
            ]
        if end >= total:
            break
    return list(dict.fromkeys(spans))


def feature_names(
    text: Text, span: tuple[int, int], found: Sequence[Found], extra: Iterable[str] = ()
) -> list[str]:
    """The features of one window, as readable strings (hashed by :func:`feature_ids`)."""
    start, end = span
    words = text.tokens[start:end]
    names = [f"w:{w}" for w in words]
    names += [f"b:{a} {b}" for a, b in itertools.pairwise(words)]
    # One word apart: "took my passport" and "took his passport" share "took passport".
    names += [f"k:{a} {b}" for a, b in zip(words, words[2:], strict=False)]
    for word in words:
        padded = f" {word} "
        for n in _GRAMS:
            names += [f"g:{padded[i : i + n]}" for i in range(len(padded) - n + 1)]
    names += [f"e:{e}" for e in text.emoji]
    names += [f"sh:{x}" for x in text.shape]
    inside = sorted({(f.start, f.concept) for f in found if start <= f.start < end})
    concepts = sorted({c for _, c in inside})
    names += [f"c:{c}" for c in concepts]
    # What a negation, a past or a resolution governs: "not in danger", "was in danger".
    for at, concept in inside:
        if concept in SCOPED:
            scope = {c for other, c in inside if 0 < other - at <= SCOPE}
            scope |= {f"w:{w}" for w in text.tokens[at + 1 : min(at + 1 + SCOPE, end)]}
            names += [f"{SCOPED[concept]}:{item}" for item in sorted(scope)]
    pairs: set[str] = set()
    for i, (at, first) in enumerate(inside):
        for other_at, second in inside[i + 1 :]:
            if other_at - at > NEAR:
                break
            if first != second:
                pairs.add("p:" + "+".join(sorted((first, second))))
    names += sorted(pairs)
    # How long the window is: a short message carries its meaning in fewer words, so the
    # same concept weighs more in "i want to die" than in a paragraph.
    names.append(f"len:{_length_bucket(len(words))}")
    if len(words) <= SHORT:
        names += [f"s:{c}" for c in concepts]
    names += list(extra)
    if not words:
        names.append("empty")
    return names


SHORT: Final = 8


def _length_bucket(count: int) -> str:
    for limit in (1, 2, 3, 5, 8, 12, 20, 40):
        if count <= limit:
            return str(limit)
    return "more"


def feature_ids(names: Iterable[str]) -> list[int]:
    mask = BUCKETS - 1
    crc = zlib.crc32
    return [crc(name.encode()) & mask for name in names]
