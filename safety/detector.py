"""The safety detector: deterministic, explainable scanning of a child's message.

How a scan works:

1. The message is normalised (:mod:`safety.normalize`) and cut into windows
   (:mod:`safety.features`).
2. Which languages it is plausibly written in is decided from the locale hint and a character
   trigram model, script by script, so that code-switched text reads as both its languages and
   a Polish "od" is never read as English. Each language's words are read only where that
   language is plausible.
3. Lexicon rules (phrases, :mod:`safety.lexicon`) and concepts (per-language words for the
   ideas danger is made of, :mod:`safety.concepts`) are found.
4. The model (:mod:`safety.model`) scores each window from its words, character n-grams, emoji,
   the rules that fired and the concepts found near each other; the message takes its most
   worrying window.
5. Urgent when a trusted rule fires (one the training data shows is almost never wrong) and the
   model does not contradict it, or when the model is confident; concern when a rule fires, a
   rule is softened (past or resolved events), or the model says it is worth a look.

The result names every rule that fired and gives readable reasons (the words that weighed most,
the concepts found together), so staff can always see *why* a message was flagged.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Final

from safety.concept_rules import UNBACKING, fire
from safety.concepts import ConceptIndex, Found, load_concepts
from safety.features import Text, feature_ids, feature_names, prepare
from safety.lexicon import (
    LEXICON_DIR,
    CompiledPattern,
    Rule,
    Severity,
    available_languages,
    load_lexicon,
)
from safety.model import MODEL_PATH, Model
from safety.normalize import exact_form, forms

__all__ = ["LANGUAGE_ALIASES", "Detector", "ScanResult", "canonical_language"]

# Language tags served by another language's words and catalog: Dari by Persian, Kurdish by
# Sorani, Moldovan by Romanian. The one table, for the catalogs too (`bot.i18n.resolve`).
LANGUAGE_ALIASES: Final = {
    "prs": "fa",
    "fa-af": "fa",
    "ku": "ckb",
    "ckb-iq": "ckb",
    "sdh": "ckb",
    "pbt": "ps",
    "pbu": "ps",
    "mo": "ro",
}
_ALIASES: Final = LANGUAGE_ALIASES

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
    """What a scan found. ``rules`` and ``reasons`` explain ``severity`` and ``categories``;
    ``score`` is the model's probability that the message is urgent."""

    severity: Severity
    categories: tuple[str, ...]
    rules: tuple[str, ...]
    languages: tuple[str, ...]
    score: float = 0.0
    reasons: tuple[str, ...] = ()

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


@dataclass(frozen=True)
class Reading:
    """A message as the detector reads it, before any verdict."""

    text: Text
    languages: frozenset[str]
    fired: dict[str, tuple[Rule, Severity]]
    found: list[Found]

    @property
    def backed(self) -> bool:
        """Whether an urgent rule (of a lexicon or of concepts) agrees with the model's reading
        of danger: such a message has a lower bar."""
        return any(
            level is Severity.URGENT and rule_id not in UNBACKING
            for rule_id, (_, level) in self.fired.items()
        )

    def features(self, span: tuple[int, int]) -> list[str]:
        # Only the terms that start in the window: a very long message has many windows and
        # many terms, and looking through all of them for each window grows with the square.
        starts, ordered = self._by_start
        inside = ordered[bisect_left(starts, span[0]) : bisect_left(starts, span[1])]
        return feature_names(
            self.text, span, inside, [f"r:{rule_id}" for rule_id in sorted(self.fired)]
        )

    @cached_property
    def _by_start(self) -> tuple[list[int], list[Found]]:
        ordered = sorted(self.found, key=lambda f: f.start)
        return [f.start for f in ordered], ordered


# How far below the likeliest language (mean log-probability per trigram) a language may score
# and still be read; measured on the training corpus (see safety.train).
LANGUAGE_MARGIN: Final = 0.6
# A trusted rule fires alone unless the model is this sure the message is not urgent.
VETO: Final = 0.02
# Another rule makes a message a concern only if the model at least leans that way: a phrase
# alone ("sad" in a news story) is not worth a person's time.
RULE_BACKING: Final = 0.5


class Detector:
    """Scans messages. Immutable and safe to share across tasks."""

    def __init__(
        self,
        rules: Iterable[Rule],
        concepts: ConceptIndex | None = None,
        model: Model | None = None,
    ) -> None:
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
        self._concepts = concepts
        self._model = model
        self._trusted = frozenset(model.meta.get("trusted", ())) if model else frozenset()

    @classmethod
    def load(
        cls, languages: Iterable[str] | None = None, directory: Path | None = None
    ) -> Detector:
        """Load lexicons (all by default; English always), concepts and the model once and
        cache the detector."""
        wanted = None if languages is None else frozenset(canonical_language(x) for x in languages)
        return _load_cached(wanted, directory or LEXICON_DIR)

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self._rules

    @property
    def model(self) -> Model | None:
        return self._model

    def rule(self, rule_id: str) -> Rule:
        """Look up a loaded rule by id (to explain an alert); raises ``KeyError``."""
        for rule in self._rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def plausible(self, text: str, languages: Sequence[str] = ()) -> frozenset[str]:
        """The languages a message is plausibly written in: the hints, and for each script in
        it the languages its letters look like."""
        hinted = {canonical_language(code) for code in languages}
        if self._model is None:
            found = hinted | {"en"}
            for script in _scripts(exact_form(text)):
                found |= self._by_script[script]
            return frozenset(found)
        found = set(hinted)
        for part in _script_parts(text):
            found.update(lang for lang, _ in self._model.languages(part, LANGUAGE_MARGIN))
        return frozenset(found)

    def read(self, text: str, languages: Sequence[str] = ()) -> Reading:
        if isinstance(languages, str):  # a lone locale is a common slip: treat it as one hint
            languages = (languages,)
        plausible = self.plausible(text, languages)
        form = forms(text)
        scanned = plausible & self._loaded
        fired: dict[str, tuple[Rule, Severity]] = {}
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
            level = rule.severity
            if level is Severity.URGENT and any(
                p.search(form.exact, form.loose) for p in rule.soften
            ):
                level = Severity.CONCERN
            fired[rule.id] = (rule, level)
        prepared = prepare(text)
        found = (
            self._concepts.find(prepared.tokens, plausible) if self._concepts is not None else []
        )
        for concept_rule in fire(found):
            fired[concept_rule.id] = (concept_rule.rule, Severity.URGENT)
        return Reading(prepared, plausible, fired, found)

    def scan(self, text: str, languages: Sequence[str] = ()) -> ScanResult:
        """Scan one message. ``languages`` are locale hints; the text itself adds more."""
        reading = self.read(text, languages)
        fired = reading.fired
        trusted = [
            rule
            for rule, level in fired.values()
            if level is Severity.URGENT and (self._model is None or rule.id in self._trusted)
        ]
        flagged = [rule for rule, _ in fired.values()]
        score, best, leaning = 0.0, None, 0.0
        model_urgent = model_flag = prose = False
        backed = reading.backed
        if self._model is not None:
            for span in reading.text.windows:
                ids = sorted(set(feature_ids(reading.features(span))))
                urgent, worth, published = self._model.scores(ids)
                prose |= published
                is_urgent, is_flag = self._model.passes(urgent, worth, published, backed)
                model_urgent |= is_urgent
                model_flag |= is_flag
                leaning = max(leaning, worth)
                if best is None or urgent > score:
                    score, best = urgent, ids
        severity = Severity.NONE
        categories = {rule.category for rule in flagged}
        reasons = [f"rule {rule.id} ({rule.category})" for rule in flagged]
        # A trusted rule alone, unless the model reads prose or all but rules the message out.
        rule_urgent = bool(trusted) and (self._model is None or (score >= VETO and not prose))
        if rule_urgent or model_urgent:
            severity = Severity.URGENT
        elif model_flag or (flagged and (self._model is None or leaning >= RULE_BACKING)):
            severity = Severity.CONCERN
        if self._model is not None and best is not None and severity is not Severity.NONE:
            if not rule_urgent:  # the rules that decided name the categories
                categories.add(self._model.category_of(best))
            reasons += self._explain(reading, best, score)
        return ScanResult(
            severity=severity,
            categories=tuple(sorted(categories)) if severity is not Severity.NONE else (),
            rules=tuple(sorted(fired)) if severity is not Severity.NONE else (),
            languages=tuple(sorted(reading.languages)),
            score=round(score, 4),
            reasons=tuple(reasons) if severity is not Severity.NONE else (),
        )

    def _explain(self, reading: Reading, ids: list[int], score: float) -> list[str]:
        """The model's verdict in words: the features that pushed hardest towards urgent."""
        assert self._model is not None
        names = [name for span in reading.text.windows for name in reading.features(span)]
        weights = dict(zip(feature_ids(names), names, strict=True))
        pushes = self._model.weights_of(ids)
        ranked = sorted(
            {
                (float(w), weights[i])
                for i, w in zip(ids, pushes, strict=True)
                if i in weights and not weights[i].startswith("empty")
            },
            reverse=True,
        )[:4]
        readable = ", ".join(f"{_readable(name)} ({weight:+.2f})" for weight, name in ranked)
        concepts = sorted({f.concept for f in reading.found})
        lines = [f"model {score:.2f}: {readable}"]
        if concepts:
            lines.append("concepts: " + ", ".join(concepts))
        return lines


def _readable(name: str) -> str:
    kind, _, value = name.partition(":")
    return {
        "w": "word",
        "b": "words",
        "g": "letters",
        "e": "emoji",
        "c": "concept",
        "p": "together",
        "r": "rule",
    }.get(kind, kind) + f" '{value.strip()}'"


def _script_parts(text: str) -> list[str]:
    """The text's words grouped by script (Latin, Arabic, Ge'ez, other), one string each."""
    groups: dict[str, list[str]] = {}
    for word in text.split():
        kinds = _scripts(word.casefold())
        key = min(kinds) if kinds else "other"
        groups.setdefault(key, []).append(word)
    return [" ".join(words) for key, words in sorted(groups.items()) if key != "other"]


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
    if directory != LEXICON_DIR or not MODEL_PATH.exists():
        return Detector(rules)  # a lexicon under test, on its own
    return Detector(rules, load_concepts(), Model.load())
