"""Loading and compiling lexicon files into matchable rules.

The file format and pattern syntax are documented in :mod:`safety.lexicons`. Each pattern is
compiled once into a small regular expression over the padded, space-tokenised forms produced by
:mod:`safety.normalize`, and one of its terms is chosen as the *anchor*: a word, stem, suffix or
infix that must be present for the pattern to match. The detector indexes anchors so that a
message only runs the handful of regexes whose anchor it contains, instead of every pattern of
every language (which would cost milliseconds per message).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Final, Literal

from safety.normalize import exact_form, loose_form

__all__ = [
    "CATEGORIES",
    "LEXICON_DIR",
    "Anchor",
    "CompiledPattern",
    "LexiconError",
    "Rule",
    "Severity",
    "available_languages",
    "compile_pattern",
    "load_lexicon",
]

LEXICON_DIR: Final = Path(__file__).resolve().parent / "lexicons"

CATEGORIES: Final = frozenset(
    {
        "danger_now",
        "trafficker_control",
        "going_missing",
        "self_harm",
        "abuse_exploitation",
        "health_emergency",
        "help_request",
        "wellbeing",
    }
)

_DEFAULT_GAP: Final = 2
_GAP_TOKEN: Final = re.compile(r"~(\d+)")


class LexiconError(ValueError):
    """A lexicon file is malformed; raised at load time so a bad file never ships silently."""


class Severity(Enum):
    """How serious a finding is; ordered so that ``max()`` gives the overall severity."""

    NONE = "none"
    CONCERN = "concern"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank


_RANK: Final = {Severity.NONE: 0, Severity.CONCERN: 1, Severity.URGENT: 2}

AnchorKind = Literal["exact", "prefix", "suffix", "infix"]


@dataclass(frozen=True, slots=True)
class Anchor:
    """A loose-form key that must occur in a message for a pattern to have a chance."""

    kind: AnchorKind
    key: str


@dataclass(frozen=True, slots=True)
class CompiledPattern:
    source: str
    regex: re.Pattern[str]
    exact_only: bool
    anchors: tuple[Anchor, ...]

    def search(self, exact: str, loose: str) -> bool:
        return self.regex.search(exact if self.exact_only else loose) is not None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    language: str
    category: str
    severity: Severity
    patterns: tuple[CompiledPattern, ...]
    unless: tuple[CompiledPattern, ...]
    soften: tuple[CompiledPattern, ...]


def _norm_word(word: str, exact_only: bool) -> str:
    exact = exact_form(word)
    return (exact if exact_only else loose_form(exact)).strip()


def _compile_term(term: str, exact_only: bool, source: str) -> tuple[str, tuple[Anchor, ...], int]:
    """Return the regex of one term, its anchors (one per alternative) and a selectivity score."""
    alts: list[str] = []
    anchors: list[Anchor] = []
    score = 1_000
    for alt in term.split("|"):
        lead, trail = alt.startswith("*"), alt.endswith("*")
        core = alt.strip("*")
        words = [_norm_word(w, exact_only) for w in core.split("_")]
        norm = " ".join(w for w in words if w)
        if not norm:
            raise LexiconError(f"empty alternative {alt!r} in pattern {source!r}")
        alts.append(("\\S*" if lead else "") + re.escape(norm) + ("\\S*" if trail else ""))
        # Anchors are always loose keys: a message that matches the exact form also contains
        # the loose form of every word, so one index serves both kinds of pattern.
        first_loose = _norm_word(core.split("_")[0], False).split()
        first = first_loose[0] if first_loose else norm.split()[0]
        multi = " " in norm
        kind: AnchorKind
        if lead and (trail and not multi):
            kind = "infix"
        elif lead:
            kind = "suffix"
        elif trail and not multi:
            kind = "prefix"
        else:
            kind = "exact"
        anchors.append(Anchor(kind, first))
        score = min(score, len(first) - (2 if kind == "infix" else 0))
    return "(?:" + "|".join(alts) + ")", tuple(anchors), score


def compile_pattern(source: str, default_gap: int = _DEFAULT_GAP) -> CompiledPattern:
    """Compile one pattern string (syntax in :mod:`safety.lexicons`)."""
    text = source.strip()
    exact_only = text.startswith("=")
    if exact_only:
        text = text[1:]
    parts: list[str] = []
    best: tuple[int, tuple[Anchor, ...]] | None = None
    gap = default_gap
    ends = False
    terms = text.split()
    for position, term in enumerate(terms):
        gap_match = _GAP_TOKEN.fullmatch(term)
        if gap_match:
            gap = int(gap_match.group(1))
            continue
        if term == "^" and position == 0:
            # Start of message: the next term comes first unless a "~N" follows the "^".
            parts.append("^")
            gap = 0
            continue
        if term == "$" and position == len(terms) - 1 and parts:
            # End of message: nothing may follow unless a "~N" precedes the "$".
            end_gap = gap if terms[position - 1].startswith("~") else 0
            parts.append(f"(?: \\S+){{0,{end_gap}}} $")
            ends = True
            continue
        regex, anchors, score = _compile_term(term, exact_only, source)
        if parts:
            parts.append(f"(?: \\S+){{0,{gap}}}")
        parts.append(" " + regex)
        gap = default_gap
        if best is None or score > best[0]:
            best = (score, anchors)
    if best is None:
        raise LexiconError(f"empty pattern {source!r}")
    regex_text = "".join(parts) + ("" if ends else "(?= )")
    return CompiledPattern(source, re.compile(regex_text), exact_only, best[1])


def _str_list(raw: object, what: str) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        raise LexiconError(f"{what} must be a list of strings")
    return list(raw)


def _parse_rule(raw: object, language: str) -> Rule:
    if not isinstance(raw, dict):
        raise LexiconError(f"{language}: every rule must be an object")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not rule_id.startswith(language + "."):
        raise LexiconError(f"{language}: rule id {rule_id!r} must start with {language!r}.")
    category = raw.get("category")
    if category not in CATEGORIES:
        raise LexiconError(f"{rule_id}: unknown category {category!r}")
    try:
        severity = Severity(raw.get("severity"))
    except ValueError:
        raise LexiconError(f"{rule_id}: severity must be urgent or concern") from None
    if severity is Severity.NONE:
        raise LexiconError(f"{rule_id}: severity must be urgent or concern")
    gap = raw.get("gap", _DEFAULT_GAP)
    if not isinstance(gap, int) or not 0 <= gap <= 8:
        raise LexiconError(f"{rule_id}: gap must be an integer from 0 to 8")
    patterns = _str_list(raw.get("patterns"), f"{rule_id}.patterns")
    if not patterns:
        raise LexiconError(f"{rule_id}: needs at least one pattern")
    try:
        return Rule(
            id=rule_id,
            language=language,
            category=str(category),
            severity=severity,
            patterns=tuple(compile_pattern(p, gap) for p in patterns),
            unless=tuple(compile_pattern(p, gap) for p in _str_list(raw.get("unless"), "unless")),
            soften=tuple(compile_pattern(p, gap) for p in _str_list(raw.get("soften"), "soften")),
        )
    except (LexiconError, re.error) as exc:
        raise LexiconError(f"{rule_id}: {exc}") from exc


def available_languages(directory: Path = LEXICON_DIR) -> tuple[str, ...]:
    """Language codes that have a lexicon file."""
    return tuple(sorted(p.stem for p in directory.glob("*.json")))


def load_lexicon(language: str, directory: Path = LEXICON_DIR) -> tuple[Rule, ...]:
    """Read and compile one language's lexicon; raises :class:`LexiconError` if malformed."""
    path = directory / f"{language}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise LexiconError(f"cannot read lexicon {path.name}: {exc}") from exc
    if not isinstance(data, dict) or data.get("language") != language:
        raise LexiconError(f"{path.name}: top-level 'language' must be {language!r}")
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list):
        raise LexiconError(f"{path.name}: 'rules' must be a list")
    rules = tuple(_parse_rule(r, language) for r in raw_rules)
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise LexiconError(f"{path.name}: duplicate rule ids")
    return rules
