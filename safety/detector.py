"""The safety detector: deterministic, explainable scanning of a child's message.

How a scan works:

1. The message is normalised into an *exact* and a *loose* form (:mod:`safety.normalize`).
2. Which lexicons apply is decided from the locale hints, English (children mix it in) and the
   scripts present in the text: every language whose lexicon has patterns in a script found in
   the message is scanned, so Latin text is checked against the Latin-script languages *and*
   the romanised Arabic/Persian patterns ("ana fi khatar", "komak").
3. Each loose token is looked up in one anchor index built at load time over all lexicons
   (exact words, stems, suffixes, infixes). Only the patterns whose anchor is present run their
   regex; a typical message runs none or a few, which keeps scans in the tens of microseconds.
4. A rule fires if any of its patterns matches, none of its ``unless`` patterns does, and it
   is lowered to *concern* if one of its ``soften`` patterns matches (past or resolved events).

The result names every rule that fired, so staff can always see *why* a message was flagged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Final

from safety.lexicon import (
    LEXICON_DIR,
    CompiledPattern,
    Rule,
    Severity,
    available_languages,
    load_lexicon,
)
from safety.normalize import forms

__all__ = ["Detector", "ScanResult", "canonical_language"]

# Locale codes that share a lexicon with another.
_ALIASES: Final = {"prs": "fa", "fa-af": "fa", "ku": "ckb", "sdh": "ckb", "pbt": "ps", "pbu": "ps"}

_SCRIPTS: Final = {
    "latin": re.compile(r"[a-zß-ɏḀ-ỿ]"),
    "arabic": re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefe]"),
    "geez": re.compile(r"[\u1200-\u139f\u2d80-\u2ddf\uab00-\uab2f]"),
}


@lru_cache(maxsize=256)
def canonical_language(code: str) -> str:
    """Reduce a locale (``fa-AF``, ``prs``, ``en_GB``) to a lexicon language code."""
    low = code.strip().lower().replace("_", "-")
    if low in _ALIASES:
        return _ALIASES[low]
    primary = low.split("-", 1)[0]
    return _ALIASES.get(primary, primary)


def _scripts(text: str) -> frozenset[str]:
    return frozenset(name for name, rx in _SCRIPTS.items() if rx.search(text))


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What a scan found. ``rules`` explains ``severity`` and ``categories``."""

    severity: Severity
    categories: tuple[str, ...]
    rules: tuple[str, ...]
    languages: tuple[str, ...]

    @property
    def urgent(self) -> bool:
        return self.severity is Severity.URGENT


@dataclass(frozen=True, slots=True)
class _Entry:
    rule: Rule
    pattern: CompiledPattern


_KEY: Final = 4


def _truncate(table: dict[str, list[int]], cut: Callable[[str], str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for key, numbers in table.items():
        bucket = out.setdefault(cut(key), [])
        bucket.extend(n for n in numbers if n not in bucket)
    return out


class _AnchorIndex:
    """Anchor key → pattern entries, with the key lengths needed for stem/suffix look-ups."""

    def __init__(self, entries: Iterable[_Entry]) -> None:
        self.exact: dict[str, list[int]] = {}
        self.prefix: dict[str, list[int]] = {}
        self.suffix: dict[str, list[int]] = {}
        infix: dict[str, list[int]] = {}
        self.entries: tuple[_Entry, ...] = tuple(entries)
        for number, entry in enumerate(self.entries):
            for anchor in entry.pattern.anchors:
                table = {
                    "exact": self.exact,
                    "prefix": self.prefix,
                    "suffix": self.suffix,
                    "infix": infix,
                }[anchor.kind]
                bucket = table.setdefault(anchor.key, [])
                if number not in bucket:
                    bucket.append(number)
        self.infix: tuple[tuple[str, tuple[int, ...]], ...] = tuple(
            (k, tuple(v)) for k, v in sorted(infix.items())
        )
        # Stems and suffixes are indexed by at most _KEY characters, so a token needs at most
        # _KEY look-ups on each side however many stem lengths the lexicons use.
        self.prefix = _truncate(self.prefix, lambda k: k[:_KEY])
        self.suffix = _truncate(self.suffix, lambda k: k[-_KEY:])
        self.prefix_lengths = tuple(sorted({len(k) for k in self.prefix}))
        self.suffix_lengths = tuple(sorted({len(k) for k in self.suffix}))
        self.exact_keys = frozenset(self.exact)
        self.prefix_keys = frozenset(self.prefix)
        self.suffix_keys = frozenset(self.suffix)

    def candidates(self, loose: str) -> set[int]:
        # Set intersections run in C; a token shorter than a stem length slices to itself,
        # which is still correct (the token then equals the stem and starts with it).
        tokens = set(loose.split())
        found: set[int] = set()
        for key in tokens & self.exact_keys:
            found.update(self.exact[key])
        if self.prefix_lengths:
            stems = {t[:n] for t in tokens for n in self.prefix_lengths}
            for key in stems & self.prefix_keys:
                found.update(self.prefix[key])
        if self.suffix_lengths:
            ends = {t[-n:] for t in tokens for n in self.suffix_lengths}
            for key in ends & self.suffix_keys:
                found.update(self.suffix[key])
        for key, numbers in self.infix:
            if key in loose:
                found.update(numbers)
        return found


class Detector:
    """Scans messages against the loaded lexicons. Immutable and safe to share across tasks."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self._rules: tuple[Rule, ...] = tuple(sorted(rules, key=lambda r: r.id))
        self.languages: tuple[str, ...] = tuple(sorted({r.language for r in self._rules}))
        self._loaded = frozenset(self.languages)
        self._index = _AnchorIndex(
            _Entry(rule, pattern) for rule in self._rules for pattern in rule.patterns
        )
        scripts: dict[str, set[str]] = {}
        for rule in self._rules:
            for pattern in rule.patterns:
                scripts.setdefault(rule.language, set()).update(_scripts(pattern.source))
        self._by_script: dict[str, frozenset[str]] = {
            script: frozenset(lang for lang, used in scripts.items() if script in used)
            for script in _SCRIPTS
        }

    @classmethod
    def load(
        cls, languages: Iterable[str] | None = None, directory: Path | None = None
    ) -> Detector:
        """Load lexicons (all by default; English always) once and cache the detector."""
        wanted = None if languages is None else frozenset(canonical_language(x) for x in languages)
        return _load_cached(wanted, directory or LEXICON_DIR)

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self._rules

    def rule(self, rule_id: str) -> Rule:
        """Look up a loaded rule by id (to explain an alert); raises ``KeyError``."""
        for rule in self._rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def scan(self, text: str, languages: Sequence[str] = ()) -> ScanResult:
        """Scan one message. ``languages`` are locale hints; script detection adds more."""
        if isinstance(languages, str):  # a lone locale is a common slip: treat it as one hint
            languages = (languages,)
        form = forms(text)
        scanned = {canonical_language(code) for code in languages}
        scanned.add("en")
        for script in _scripts(form.exact):
            scanned |= self._by_script[script]
        scanned &= self._loaded

        severity = Severity.NONE
        fired: dict[str, Rule] = {}
        entries = self._index.entries
        for number in sorted(self._index.candidates(form.loose)):
            entry = entries[number]
            rule = entry.rule
            if rule.id in fired or rule.language not in scanned:
                continue
            if not entry.pattern.search(form.exact, form.loose):
                continue
            if any(p.search(form.exact, form.loose) for p in rule.unless):
                continue
            fired[rule.id] = rule
            level = rule.severity
            if level is Severity.URGENT and any(
                p.search(form.exact, form.loose) for p in rule.soften
            ):
                level = Severity.CONCERN
            severity = max(severity, level)
        return ScanResult(
            severity=severity,
            categories=tuple(sorted({r.category for r in fired.values()})),
            rules=tuple(sorted(fired)),
            languages=tuple(sorted(scanned)),
        )


@cache
def _load_cached(languages: frozenset[str] | None, directory: Path) -> Detector:
    names = set(available_languages(directory))
    if languages is not None:
        unknown = languages - names
        if unknown:
            raise ValueError(f"no safety lexicon for: {', '.join(sorted(unknown))}")
        names &= languages | {"en"}
    rules: list[Rule] = []
    for name in sorted(names):
        rules.extend(load_lexicon(name, directory))
    return Detector(rules)
