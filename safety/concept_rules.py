"""Rules over concepts: danger recognised by the ideas it is made of, in any language.

Each rule names concepts that must all be found within a few words of each other ("want" near
"die"; a weapon near anger; the people in control near "found me"). The concepts come from
each language's lists (:mod:`safety.concepts`), so one rule reads "I want to die", "vreau să
mor", "bidi amoot" and "مرگ میخوام" alike. A rule does not fire where a negation stands just
before it ("I don't want to die"), in fiction or a joke (a film, a game, "lol"), or where the
message places the event in the past and says it is over ("a year ago I was in danger, now I am
safe with my foster family").

Which rules are trusted to raise an alarm on their own is decided by the training data (see
``safety.train``): the others are features the model weighs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from safety.concepts import Found
from safety.lexicon import Rule, Severity

__all__ = ["CONCEPT_RULES", "UNBACKING", "ConceptRule", "fire"]


@dataclass(frozen=True, slots=True)
class ConceptRule:
    id: str
    category: str
    slots: tuple[frozenset[str], ...]  # each slot: any one of these concepts
    within: int  # words from the first found to the last
    negatable: bool = True  # a negation just before the first word stops it
    # Whether it lowers the model's bar (a second sign that agrees); not for rules whose
    # words are everyday ("help" near "today" is mostly thanks).
    backs: bool = True

    @property
    def rule(self) -> Rule:
        return Rule(self.id, "*", self.category, Severity.URGENT, (), (), ())


def _r(
    rule_id: str,
    category: str,
    within: int,
    *slots: str,
    negatable: bool = True,
    backs: bool = True,
) -> ConceptRule:
    return ConceptRule(
        f"concept.{rule_id}",
        category,
        tuple(frozenset(slot.split("|")) for slot in slots),
        within,
        negatable,
        backs,
    )


CONCEPT_RULES: Final = (
    _r("self_harm.want_die", "self_harm", 4, "want", "die"),
    _r("self_harm.no_point_living", "self_harm", 4, "no_point", "live"),
    _r("self_harm.not_want_living", "self_harm", 5, "negation", "want", "live", negatable=False),
    _r("self_harm.farewell", "self_harm", 10, "farewell", "gone_tomorrow"),
    _r("self_harm.injury_now", "self_harm", 5, "self_injury", "soon|self"),
    _r("danger.weapon_anger", "danger_now", 6, "weapon", "aggression"),
    _r("danger.weapon_near", "danger_now", 6, "weapon", "near|hurt_me"),
    _r("danger.hurting_me", "danger_now", 0, "hurt_me"),
    _r("danger.fear_near", "danger_now", 6, "fear", "near|controllers"),
    _r("control.found_me", "trafficker_control", 6, "controllers", "found_me|watch_follow"),
    _r("control.outside", "trafficker_control", 6, "controllers", "near"),
    _r("control.debt", "trafficker_control", 6, "debt", "controllers|threat|forced_work"),
    _r("control.papers", "trafficker_control", 4, "take_keep", "documents"),
    _r("control.family", "trafficker_control", 6, "family", "threat"),
    _r("missing.tonight", "going_missing", 6, "leave_run", "soon"),
    _r("missing.secret", "going_missing", 8, "leave_run", "secret"),
    _r("missing.with_them", "going_missing", 6, "leave_run", "controllers"),
    _r("health.crisis", "health_emergency", 0, "health_crisis"),
    _r("help.afraid", "help_request", 6, "help", "fear"),
    _r("help.now", "help_request", 4, "help", "soon", backs=False),
    _r("abuse.forced", "abuse_exploitation", 0, "forced_work"),
)
NEGATION_REACH: Final = 2
UNBACKING: Final = frozenset(rule.id for rule in CONCEPT_RULES if not rule.backs)


def _blocked(concepts: set[str]) -> bool:
    return "fiction" in concepts or {"past", "resolved"} <= concepts


def fire(found: Sequence[Found], rules: Iterable[ConceptRule] = CONCEPT_RULES) -> list[ConceptRule]:
    """The rules whose concepts stand together in a message, unless something stops them."""
    at = sorted({(f.start, f.concept) for f in found})
    if _blocked({concept for _, concept in at}):
        return []
    negations = [position for position, concept in at if concept == "negation"]
    fired = []
    for rule in rules:
        if _matches(rule, at, negations):
            fired.append(rule)
    return fired


def _matches(rule: ConceptRule, at: list[tuple[int, str]], negations: list[int]) -> bool:
    first = [position for position, concept in at if concept in rule.slots[0]]
    for start in first:
        positions = [start]
        for slot in rule.slots[1:]:
            near = [
                p
                for p, concept in at
                if concept in slot and abs(p - start) <= rule.within and p not in positions
            ]
            if not near:
                break
            positions.append(min(near, key=lambda p: abs(p - start)))
        else:
            if max(positions) - min(positions) > rule.within:
                continue
            lead = min(positions)
            if rule.negatable and any(lead - NEGATION_REACH <= n < lead for n in negations):
                continue
            return True
    return False
