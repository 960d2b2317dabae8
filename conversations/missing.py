"""Missing episodes and the missing-person profile, as use cases.

Staff who may act for a young person open an episode (``/missing``: one at a time) and close
it (``/found``), saying how they were found; a return interview is then due within 72 hours
(England's statutory guidance on children who run away or go missing from care), reminded
before and after it is due, and recorded as done or declined. The young person may say they
are safe. The profile is kept in advance, read and changed through `access.may_read_profile`,
and released to hand to the police only while an episode is open. Every step, every read and
every refusal is an audit row (``missing.*``, ``profile.*``). The alert an episode raises is
the bot's to raise (`bot.missing`), on the same ladder as an urgent message.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from conversations.access import DENIED, may_act_for, may_read_profile, may_release_profile
from conversations.episodes import Episode, Profile
from conversations.errors import AccessDenied
from conversations.people import ChildView, StaffView
from conversations.repositories import Work

RETURN_INTERVIEW = timedelta(hours=72)
# The first reminder goes this long before the interview is due; the second once it is late.
REMIND_BEFORE = timedelta(hours=24)
FOUND_HOW = ("returned", "police", "staff_family", "other")
INTERVIEW = ("done", "declined")
# The profile's fields, in the order they are shown and released.
FIELDS = ("description", "places", "people", "accounts", "photo")
TEXT_LIMIT = 1500


class NotMissing(Exception):
    """The young person has no open episode (to close, or to release a profile during)."""


def _actor(staff: StaffView) -> str:
    return f"staff:{staff.id}"


@dataclass(frozen=True)
class Opened:
    episode: Episode
    # They were already missing: nothing new was opened.
    already: bool = False


async def open_episode(uow: Work, staff: StaffView, child: ChildView) -> Opened:
    if not may_act_for(staff, child):
        raise AccessDenied(DENIED)
    current = await uow.episodes.current(child.id)
    if current is not None:
        await uow.audit(_actor(staff), "missing.already", child.id, f"episode={current.id}")
        return Opened(current, already=True)
    episode = await uow.episodes.add(child.id, staff.id)
    await uow.audit(_actor(staff), "missing.open", child.id, f"episode={episode.id}")
    return Opened(episode)


async def raised(uow: Work, episode: Episode, alert_id: str) -> Episode:
    """The alert raised with an episode, kept so that closing it can close the alert."""
    return await uow.episodes.update(replace(episode, alert_id=alert_id))


async def child_safe(uow: Work, child: ChildView, episode_id: str) -> Episode | None:
    """The young person pressed *I'm safe*: the episode, the first time it is pressed while it
    is open; None otherwise (pressed again, or after they were found)."""
    episode = await uow.episodes.get(episode_id)
    if episode is None or episode.child_id != child.id:
        return None
    if not episode.open or episode.safe_at is not None:
        await uow.audit(
            f"child:{child.id}", "missing.safe_again", child.id, f"episode={episode.id}"
        )
        return None
    episode = await uow.episodes.update(replace(episode, safe_at=uow.now))
    await uow.audit(f"child:{child.id}", "missing.safe", child.id, f"episode={episode.id}")
    return episode


async def found(uow: Work, staff: StaffView, child: ChildView) -> Episode:
    """Close the open episode; the return interview falls due. Raises `NotMissing`."""
    if not may_act_for(staff, child):
        raise AccessDenied(DENIED)
    episode = await uow.episodes.current(child.id)
    if episode is None:
        raise NotMissing(child.ref)
    episode = await uow.episodes.update(
        replace(
            episode,
            closed_at=uow.now,
            closed_by=staff.id,
            interview_due_at=uow.now + RETURN_INTERVIEW,
        )
    )
    await uow.audit(_actor(staff), "missing.found", child.id, f"episode={episode.id}")
    return episode


async def _closed_episode(
    uow: Work, staff: StaffView, episode_id: str
) -> tuple[Episode, ChildView]:
    episode = await uow.episodes.get(episode_id)
    child = await uow.children.get(episode.child_id) if episode is not None else None
    if episode is None or episode.open or not may_act_for(staff, child):
        raise AccessDenied(DENIED)
    assert child is not None
    return episode, child


async def found_how(uow: Work, staff: StaffView, episode_id: str, how: str) -> Episode:
    """How they were found, from the buttons after ``/found`` (the latest answer stands)."""
    if how not in FOUND_HOW:
        raise ValueError(how)
    episode, child = await _closed_episode(uow, staff, episode_id)
    episode = await uow.episodes.update(replace(episode, found_how=how))
    await uow.audit(_actor(staff), "missing.how", child.id, f"episode={episode.id} how={how}")
    return episode


async def interview(uow: Work, staff: StaffView, episode_id: str, outcome: str) -> Episode | None:
    """Record the return interview; None if it was already recorded."""
    if outcome not in INTERVIEW:
        raise ValueError(outcome)
    episode, child = await _closed_episode(uow, staff, episode_id)
    if episode.interview is not None:
        return None
    episode = await uow.episodes.update(replace(episode, interview=outcome, interview_at=uow.now))
    late = episode.interview_due_at is not None and uow.now > episode.interview_due_at
    await uow.audit(
        _actor(staff),
        "missing.interview",
        child.id,
        f"episode={episode.id} outcome={outcome} late={'yes' if late else 'no'}",
    )
    return episode


@dataclass(frozen=True)
class Reminder:
    episode: Episode
    child: ChildView
    overdue: bool


async def reminders(uow: Work) -> list[Reminder]:
    """Return interviews to remind of now: once when one is a day from due, once when it is
    late (a sweeper stopped past both sends only the late one)."""
    found: list[Reminder] = []
    for episode in await uow.episodes.interviews_due(uow.now + REMIND_BEFORE):
        assert episode.interview_due_at is not None
        overdue = uow.now >= episode.interview_due_at
        if not overdue and episode.reminders >= 1:
            continue
        child = await uow.children.get(episode.child_id)
        await uow.episodes.update(replace(episode, reminders=2 if overdue else 1))
        if child is None:
            continue
        action = "missing.interview_overdue" if overdue else "missing.interview_reminder"
        await uow.audit("system", action, child.id, f"episode={episode.id}")
        found.append(Reminder(episode, child, overdue))
    return found


# The profile ---------------------------------------------------------------------------------


async def read_profile(uow: Work, staff: StaffView, child: ChildView) -> Profile:
    if not may_read_profile(staff, child):
        await uow.audit(_actor(staff), "profile.refused", child.id, "read")
        raise AccessDenied(DENIED)
    await uow.audit(_actor(staff), "profile.read", child.id)
    return await uow.episodes.profile(child)


async def set_field(
    uow: Work, staff: StaffView, child: ChildView, name: str, value: str
) -> Profile:
    """Set one field (empty text clears it); the photo is a Telegram file id."""
    if name not in FIELDS:
        raise ValueError(name)
    if not may_read_profile(staff, child):
        await uow.audit(_actor(staff), "profile.refused", child.id, f"set {name}")
        raise AccessDenied(DENIED)
    fields = dict((await uow.episodes.profile(child)).fields)
    value = value.strip()[:TEXT_LIMIT]
    if value:
        fields[name] = value
    else:
        fields.pop(name, None)
    profile = await uow.episodes.set_profile(child, fields, staff.id)
    await uow.audit(_actor(staff), "profile.set", child.id, f"field={name}")
    return profile


async def release(uow: Work, staff: StaffView, child: ChildView) -> tuple[Profile, Episode]:
    """The profile to hand to the police, with the episode it is for; refused (and the refusal
    audited) unless the young person is missing now. Raises `NotMissing` or `AccessDenied`."""
    if not may_read_profile(staff, child):
        await uow.audit(_actor(staff), "profile.refused", child.id, "release")
        raise AccessDenied(DENIED)
    episode = await uow.episodes.current(child.id)
    if not may_release_profile(staff, child, episode is not None):
        await uow.audit(_actor(staff), "profile.release_refused", child.id, "not missing")
        raise NotMissing(child.ref)
    assert episode is not None
    await uow.audit(_actor(staff), "profile.release", child.id, f"episode={episode.id}")
    return await uow.episodes.profile(child), episode
