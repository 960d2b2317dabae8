"""The stages of a child's journey through the UK systems that are meant to protect them.

This module is the domain's list of journey stages: stable ids and their usual order. It knows
nothing about translation or Telegram; the child-facing text for each stage lives in
``bot.content`` (for the UK, ``bot.content.journey_uk``).

A child's real path is not a line. Stages overlap (a police interview can happen during the
recovery period; an age assessment can happen at any time), some never happen (many children never
go to court) and some happen more than once (a new placement). The advocate sets whichever stage
fits the child now, in any order. ``next_stage`` therefore gives only the *usual* next step, to
help explain "what often comes next"; it is never a rule about what must happen.

The ids are stored in the database: never rename or reuse one. Add new stages instead.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Stage(StrEnum):
    """A step in a child's journey. The value is a stable id, safe to store."""

    FIRST_MEETING = "first_meeting"
    """The child has just met their advocate or guardian."""
    NRM_REFERRAL = "nrm_referral"
    """A first responder is referring, or has referred, the child to the National Referral
    Mechanism (NRM)."""
    REASONABLE_GROUNDS = "reasonable_grounds"
    """Waiting for the NRM reasonable grounds decision."""
    RECOVERY_PERIOD = "recovery_period"
    """A positive reasonable grounds decision has started the recovery and reflection period."""
    CONCLUSIVE_GROUNDS = "conclusive_grounds"
    """Waiting for, or just received, the NRM conclusive grounds decision."""
    AGE_ASSESSMENT = "age_assessment"
    """The child's age is disputed and a local authority age assessment is under way."""
    PLACEMENT = "placement"
    """The child is moving to, or settling into, a place to live (foster carer, children's home,
    supported accommodation)."""
    POLICE_INTERVIEW = "police_interview"
    """The police want to talk to the child (as a witness, or sometimes as a suspect)."""
    COURT = "court"
    """A criminal case in which the child may be a witness (or, sometimes, a defendant)."""
    IMMIGRATION_CLAIM = "immigration_claim"
    """An asylum or other immigration claim is being made or decided."""
    LEAVING_CARE = "leaving_care"
    """The child is 16 or older and preparing to leave care, or is a care leaver."""


STAGE_ORDER: Final[tuple[Stage, ...]] = (
    Stage.FIRST_MEETING,
    Stage.NRM_REFERRAL,
    Stage.REASONABLE_GROUNDS,
    Stage.RECOVERY_PERIOD,
    Stage.CONCLUSIVE_GROUNDS,
    Stage.AGE_ASSESSMENT,
    Stage.PLACEMENT,
    Stage.POLICE_INTERVIEW,
    Stage.COURT,
    Stage.IMMIGRATION_CLAIM,
    Stage.LEAVING_CARE,
)
"""Every stage, in the order a child most often meets them. Not a rule: see the module notes."""

_NEXT: Final[dict[Stage, Stage | None]] = {
    stage: (STAGE_ORDER[index + 1] if index + 1 < len(STAGE_ORDER) else None)
    for index, stage in enumerate(STAGE_ORDER)
}


def next_stage(stage: Stage) -> Stage | None:
    """Return the usual next stage after ``stage``, or ``None`` after the last one.

    This is only the *usual* next step. A child's actual path is not linear and the advocate may
    set any stage at any time.
    """
    return _NEXT[stage]


def parse_stage(value: str) -> Stage | None:
    """Return the stage with this stored id, or ``None`` if there is no such stage."""
    try:
        return Stage(value)
    except ValueError:
        return None
