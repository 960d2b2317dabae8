"""Concepts: per-language words for the ideas danger is made of, found in a message.

Each ``safety/concepts/<lang>.json`` lists, for one language, the words and short phrases that
express each concept (``self``, ``negation``, ``want``, ``live``, ``die``, ``weapon``, ``near``,
``past``, ``resolved`` ...). The detector finds them in a message, only in the languages the
message is plausibly written in, and combines them by proximity: "no reason to live" is
``no_point`` near ``live`` however it is worded, in any of the twelve languages.

Term syntax: words joined by ``_`` must be adjacent; ``word*`` is a stem, ``*word`` an ending,
``*word*`` a part of a word. Terms are normalised exactly like messages (loose form: no case,
no diacritics, Arabic letter variants folded, romanised digits read as letters).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from safety.normalize import model_tokens

__all__ = ["CONCEPT_DIR", "ConceptIndex", "Found", "TermIndex", "load_concepts"]

CONCEPT_DIR: Final = Path(__file__).resolve().parent / "concepts"
# Stems shorter than this match too many innocent words ("od*" in Polish) and are dropped.
MIN_STEM: Final = 3


@dataclass(frozen=True, slots=True)
class Piece:
    kind: str  # exact, prefix, suffix, infix
    key: str

    def matches(self, token: str) -> bool:
        if self.kind == "exact":
            return token == self.key
        if self.kind == "prefix":
            return token.startswith(self.key)
        if self.kind == "suffix":
            return token.endswith(self.key)
        return self.key in token


@dataclass(frozen=True, slots=True)
class Found:
    """One term found: where (token positions), which concept, in which language."""

    start: int
    end: int
    concept: str
    language: str
    term: str


@dataclass
class TermIndex:
    """Terms of many concepts and languages, looked up token by token."""

    exact: dict[str, list[tuple[tuple[Piece, ...], str, str, str]]] = field(default_factory=dict)
    prefix: dict[int, dict[str, list[tuple[tuple[Piece, ...], str, str, str]]]] = field(
        default_factory=dict
    )
    suffix: dict[int, dict[str, list[tuple[tuple[Piece, ...], str, str, str]]]] = field(
        default_factory=dict
    )
    infix: list[tuple[str, tuple[tuple[Piece, ...], str, str, str]]] = field(default_factory=list)

    def add(self, term: str, concept: str, language: str) -> None:
        pieces = compile_term(term)
        if not pieces:
            return
        entry = (pieces, concept, language, term)
        first = pieces[0]
        if first.kind == "exact":
            self.exact.setdefault(first.key, []).append(entry)
        elif first.kind == "prefix":
            self.prefix.setdefault(len(first.key), {}).setdefault(first.key, []).append(entry)
        elif first.kind == "suffix":
            self.suffix.setdefault(len(first.key), {}).setdefault(first.key, []).append(entry)
        else:
            self.infix.append((first.key, entry))

    def find(self, tokens: list[str], languages: frozenset[str] | None = None) -> Iterator[Found]:
        for i, token in enumerate(tokens):
            candidates = list(self.exact.get(token, ()))
            for length, table in self.prefix.items():
                if len(token) >= length:
                    candidates += table.get(token[:length], ())
            for length, table in self.suffix.items():
                if len(token) >= length:
                    candidates += table.get(token[-length:], ())
            candidates += [entry for key, entry in self.infix if key in token]
            for pieces, concept, language, term in candidates:
                if languages is not None and language not in languages:
                    continue
                end = i + len(pieces)
                if end > len(tokens):
                    continue
                if all(p.matches(t) for p, t in zip(pieces[1:], tokens[i + 1 : end], strict=False)):
                    yield Found(i, end, concept, language, term)


def compile_term(term: str) -> tuple[Piece, ...]:
    """A term as token pieces; empty for a term that would match too much."""
    pieces: list[Piece] = []
    for word in (w for w in term.replace(" ", "_").split("_") if w):
        lead, trail = word.startswith("*"), word.endswith("*")
        core = model_tokens(word.strip("*"))
        for n, token in enumerate(core):
            starts, ends = lead and n == 0, trail and n == len(core) - 1
            kind = (
                "infix"
                if starts and ends
                else "suffix"
                if starts
                else "prefix"
                if ends
                else "exact"
            )
            if kind != "exact" and len(token) < MIN_STEM:
                return ()
            pieces.append(Piece(kind, token))
    return tuple(pieces)


@dataclass
class ConceptIndex:
    """Every language's concept terms in one index."""

    index: TermIndex
    concepts: frozenset[str]
    languages: frozenset[str]

    def find(self, tokens: list[str], languages: frozenset[str] | None = None) -> list[Found]:
        return list(self.index.find(tokens, languages))


def load_concepts(
    directory: Path = CONCEPT_DIR, languages: Iterable[str] | None = None
) -> ConceptIndex:
    index = TermIndex()
    concepts: set[str] = set()
    loaded: set[str] = set()
    wanted = None if languages is None else set(languages)
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        language = str(data["language"])
        if wanted is not None and language not in wanted:
            continue
        loaded.add(language)
        for concept, terms in data["concepts"].items():
            concepts.add(concept)
            for term in terms:
                index.add(str(term), concept, language)
    return ConceptIndex(index, frozenset(concepts), frozenset(loaded))
