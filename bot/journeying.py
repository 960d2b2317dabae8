"""What happens next, continuity notes, the story so far, handover, and the child's own record.

Child side: *What happens next?* explains the current stage and the usual next step, with more to
read, a glossary, and a way to ask the advocate about it; *About me* shows what is recorded.
Staff side: /stage, /note, /notes, /summary, /handover. All reads go through the access gate and
are audited (in `conversations.continuity`). Buttons carry `bot.callbacks.Journey`,
`StageChoice` and `HandoverTo`.
"""

from __future__ import annotations

import contextlib

from telegram import Update

from bot import closing, notices
from bot.callbacks import HandoverTo, Journey, StageChoice
from bot.content import JourneyContent, StageText, journey_content
from bot.gate import to_child, to_staff, tr_for
from bot.i18n import Translator
from bot.runtime import AlongsideContext
from conversations import continuity, people, retention
from conversations.access import access_child_by_reply
from conversations.errors import AccessDenied, CaseClosed
from conversations.journey import STAGE_ORDER, Stage, next_stage, parse_stage
from conversations.outgoing import Button, Outgoing
from conversations.people import ChildView, StaffView

# Child side -----------------------------------------------------------------------------------


def content(ctx: AlongsideContext) -> JourneyContent:
    return journey_content(ctx.runtime.settings.region)


def _stage_of(child: ChildView) -> Stage:
    return parse_stage(child.stage or "") or Stage.FIRST_MEETING


def stage_buttons(tr: Translator, stage: Stage) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button(tr._("More about this"), data=Journey("more", stage.value).encode()),
            Button(tr._("Words adults use"), data=Journey("words").encode()),
        ),
        (
            Button(tr._("Other questions"), data=Journey("topics").encode()),
            Button(tr._("Ask my advocate"), data=Journey("ask", stage.value).encode()),
        ),
    )


def explain(tr: Translator, journey: JourneyContent, stage: Stage) -> Outgoing:
    text = journey.stages[stage]
    after = next_stage(stage)
    lines = [
        f"🧭 {text.title.render(tr)}",
        "",
        text.where_you_are.render(tr),
        "",
        text.what_next.render(tr),
    ]
    if after is not None:
        lines += [
            "",
            tr._("Often the next step is: {title}", title=journey.stages[after].title.render(tr)),
        ]
    return Outgoing(text="\n".join(lines), buttons=stage_buttons(tr, stage))


def more(tr: Translator, text: StageText) -> Outgoing:
    return Outgoing(
        text="\n\n".join(
            [
                f"⏳ {text.how_long.render(tr)}",
                f"✅ {text.your_rights.render(tr)}",
                f"🤝 {text.who_can_help.render(tr)}",
            ]
        )
    )


async def what_happens_next(ctx: AlongsideContext, child: ChildView) -> None:
    tr = tr_for(ctx, child.locale)
    await to_child(ctx, child, explain(tr, content(ctx), _stage_of(child)))


async def about_me(ctx: AlongsideContext, child: ChildView) -> None:
    tr = tr_for(ctx, child.locale)
    record = await continuity.own_record(ctx.uow, child)
    stage = parse_stage(record.stage or "")
    lines = [tr._("This is what is written down about you:"), ""]
    lines.append(
        tr._("Where you are now: {title}", title=content(ctx).stages[stage].title.render(tr))
        if stage
        else tr._("Where you are now: not set yet.")
    )
    if record.summary:
        lines += ["", tr._("Your story so far, as you agreed it:"), record.summary]
    else:
        lines += ["", tr._("There is no story so far that you agreed yet.")]
    if record.notes:
        lines += [
            "",
            tr.n_(
                "{n} note by {names}. Notes help the adults so you do not have to "
                "tell your story again.",
                "{n} notes by {names}. Notes help the adults so you do not have to "
                "tell your story again.",
                record.notes,
                names=", ".join(record.note_authors),
            ),
        ]
    await to_child(
        ctx,
        child,
        Outgoing(
            text="\n".join(lines),
            protect=True,
            buttons=(
                (Button(tr._("Ask for a correction"), data=Journey("ask", "correction").encode()),),
            ),
        ),
    )


async def on_journey_button(ctx: AlongsideContext, child: ChildView, button: Journey) -> None:
    tr = ctx.tr
    journey = content(ctx)
    action, arg = button.action, button.arg
    if action == "more" and (stage := parse_stage(arg)):
        await to_child(ctx, child, more(tr, journey.stages[stage]))
    elif action == "words":
        lines = [f"• {e.term.render(tr)}: {e.meaning.render(tr)}" for e in journey.glossary]
        await to_child(
            ctx, child, Outgoing(text=tr._("Words adults use:") + "\n\n" + "\n".join(lines))
        )
    elif action == "topics":
        rows = tuple(
            (Button(t.title.render(tr), data=Journey("topic", t.id).encode()),)
            for t in journey.topics
        )
        await to_child(
            ctx, child, Outgoing(text=tr._("What would you like to know?"), buttons=rows)
        )
    elif action == "topic" and (topic := journey.topic(arg)):
        await to_child(
            ctx,
            child,
            Outgoing(
                text=f"{topic.title.render(tr)}\n\n{topic.body.render(tr)}",
                buttons=(
                    (Button(tr._("Ask my advocate"), data=Journey("ask", topic.id).encode()),),
                ),
            ),
        )
    elif action == "ask" and arg:
        await continuity.set_asking(ctx.uow, child, arg)
        await to_child(
            ctx,
            child,
            Outgoing(
                text=tr._(
                    "Write your question or what should be changed. I will send it to your "
                    "advocate."
                )
            ),
        )
    elif action == "summary" and arg:
        await _decide_summary(ctx, child, arg)


def topic_label(tr: Translator, journey: JourneyContent, topic: str) -> str:
    """How a child's question is labelled for their advocate, in the advocate's language."""
    if topic == "correction":
        return tr._("asks for a correction")
    if topic == "summary":
        return tr._("wants to change the story so far")
    if (stage := parse_stage(topic)) is not None:
        return tr._("asks about: {title}", title=journey.stages[stage].title.render(tr))
    if (found := journey.topic(topic)) is not None:
        return tr._("asks about: {title}", title=found.title.render(tr))
    return ""


async def _decide_summary(ctx: AlongsideContext, child: ChildView, arg: str) -> None:
    decision, _, summary_id = arg.partition(":")
    uow = ctx.uow
    drafter_id = await continuity.decide_summary(uow, child, summary_id, decision == "yes")
    tr = ctx.tr
    if drafter_id is None:
        return
    drafter = await people.get_staff(uow, drafter_id)
    if decision == "yes":
        await to_child(ctx, child, Outgoing(text=tr._("Thank you. It is saved.")))
    else:
        await continuity.set_asking(uow, child, "summary")
        await to_child(
            ctx,
            child,
            Outgoing(text=tr._("Write what should be changed. I will send it to your advocate.")),
        )
    if drafter is not None:
        staff_tr = tr_for(ctx, drafter.locale)
        text = (
            staff_tr._(
                "{nickname} · {ref} approved the story so far.",
                nickname=child.nickname,
                ref=child.ref,
            )
            if decision == "yes"
            else staff_tr._(
                "{nickname} · {ref} wants to change the story so far.",
                nickname=child.nickname,
                ref=child.ref,
            )
        )
        await to_staff(ctx, drafter, Outgoing(text=text), about=child)


# Staff side -----------------------------------------------------------------------------------


async def _target(
    update: Update, ctx: AlongsideContext, staff: StaffView, usage: str
) -> tuple[ChildView, list[str]] | None:
    """The child named by REF (or by replying to their relayed message), and the other words."""
    args = list(ctx.args or [])
    message = update.effective_message
    uow = ctx.uow
    if message is not None and message.reply_to_message is not None:
        with contextlib.suppress(AccessDenied):  # then the words must name them
            return await access_child_by_reply(
                uow, staff, message.reply_to_message.message_id
            ), args
    try:
        child = await continuity.child_for(uow, staff, args[0].upper() if args else "")
    except AccessDenied:
        await to_staff(
            ctx,
            staff,
            Outgoing(
                text=ctx.tr._(
                    "No young person of yours has that reference. Use: {usage}", usage=usage
                )
            ),
        )
        return None
    return child, args[1:]


async def stage_command(update: Update, ctx: AlongsideContext) -> None:
    staff, tr = ctx.staff, ctx.tr
    if (found := await _target(update, ctx, staff, "/stage REF")) is None:
        return
    child, _ = found
    try:
        await retention.ensure_open(ctx.uow, child)
    except CaseClosed:
        await to_staff(ctx, staff, closing.still_closed(tr, child.ref), about=child)
        return
    journey = content(ctx)
    rows = tuple(
        (Button(journey.stages[s].title.render(tr), data=StageChoice(child.ref, s.value).encode()),)
        for s in STAGE_ORDER
    )
    current = parse_stage(child.stage or "")
    now = journey.stages[current].title.render(tr) if current else tr._("not set")
    await to_staff(
        ctx,
        staff,
        Outgoing(
            text=tr._(
                "Stage for {nickname} · {ref} (now: {stage}). Choose the new stage:",
                nickname=child.nickname,
                ref=child.ref,
                stage=now,
            ),
            buttons=rows,
        ),
        about=child,
    )


async def on_stage_button(ctx: AlongsideContext, staff: StaffView, button: StageChoice) -> None:
    stage = parse_stage(button.stage)
    tr = ctx.tr
    try:
        child = await continuity.child_for(ctx.uow, staff, button.ref)
    except AccessDenied:
        child = None
    if child is None or stage is None:
        await to_staff(ctx, staff, notices.cannot_reach(tr))
        return
    try:
        await continuity.set_stage(ctx.uow, staff, child, stage)
    except CaseClosed:
        await to_staff(ctx, staff, closing.still_closed(tr, child.ref), about=child)
        return
    journey = content(ctx)
    await to_staff(
        ctx,
        staff,
        Outgoing(
            text=tr._(
                "Stage set for {nickname} · {ref}: {stage}. They have been told what it means.",
                nickname=child.nickname,
                ref=child.ref,
                stage=journey.stages[stage].title.render(tr),
            )
        ),
        about=child,
    )
    child_tr = tr_for(ctx, child.locale)
    update = explain(child_tr, journey, stage)
    await to_child(
        ctx,
        child,
        Outgoing(
            text=child_tr._("Your advocate updated where you are now.") + "\n\n" + update.text,
            buttons=update.buttons,
        ),
    )


async def note_command(update: Update, ctx: AlongsideContext) -> None:
    staff, tr = ctx.staff, ctx.tr
    found = await _target(update, ctx, staff, "/note REF text")
    if found is None:
        return
    child, words = found
    if not words:
        await to_staff(ctx, staff, Outgoing(text=tr._("Use: /note REF text of the note")))
        return
    await continuity.add_note(ctx.uow, staff, child, " ".join(words))
    await to_staff(
        ctx,
        staff,
        Outgoing(
            text=tr._("Note saved for {nickname} · {ref}.", nickname=child.nickname, ref=child.ref)
        ),
        about=child,
    )


async def notes_command(update: Update, ctx: AlongsideContext) -> None:
    staff = ctx.staff
    if (found := await _target(update, ctx, staff, "/notes REF")) is None:
        return
    child, _ = found
    await send_notes(ctx, staff, child, await continuity.read_notes(ctx.uow, staff, child))


async def send_notes(
    ctx: AlongsideContext, staff: StaffView, child: ChildView, notes: list[continuity.NoteView]
) -> None:
    tr = tr_for(ctx, staff.locale)
    if not notes:
        await to_staff(
            ctx,
            staff,
            Outgoing(
                text=tr._(
                    "No notes yet for {nickname} · {ref}.", nickname=child.nickname, ref=child.ref
                )
            ),
            about=child,
        )
        return
    lines = [
        tr.n_(
            "{n} note for {nickname} · {ref}:",
            "{n} notes for {nickname} · {ref}:",
            len(notes),
            nickname=child.nickname,
            ref=child.ref,
        )
    ]
    lines += [f"— {tr.datetime(n.at)} · {n.author}: {n.text}" for n in notes]
    await to_staff(
        ctx,
        staff,
        Outgoing(text="\n".join(lines), protect=True),
        key_id=child.data_key_id,
        child_id=child.id,
    )


async def summary_command(update: Update, ctx: AlongsideContext) -> None:
    staff, tr = ctx.staff, ctx.tr
    found = await _target(update, ctx, staff, "/summary REF text")
    if found is None:
        return
    child, words = found
    if not words:
        await to_staff(
            ctx,
            staff,
            Outgoing(
                text=tr._(
                    "Use: /summary REF the story so far, in words the young person understands"
                )
            ),
        )
        return
    text = " ".join(words)
    try:
        summary_id = await continuity.draft_summary(ctx.uow, staff, child, text)
    except CaseClosed:
        await to_staff(ctx, staff, closing.still_closed(tr, child.ref), about=child)
        return
    child_tr = tr_for(ctx, child.locale)
    await to_child(
        ctx,
        child,
        Outgoing(
            text=child_tr._(
                "{advocate} wrote down your story so far, so you do not have to tell it "
                "again. Is it right?",
                advocate=staff.name,
            )
            + "\n\n"
            + text,
            protect=True,
            buttons=(
                (
                    Button(
                        child_tr._("This is right"),
                        data=Journey("summary", f"yes:{summary_id}").encode(),
                    ),
                    Button(
                        child_tr._("Change something"),
                        data=Journey("summary", f"no:{summary_id}").encode(),
                    ),
                ),
            ),
        ),
    )
    await to_staff(
        ctx,
        staff,
        Outgoing(
            text=tr._(
                "Sent to {nickname} · {ref} to check. Only a version they approve is kept for "
                "handover.",
                nickname=child.nickname,
                ref=child.ref,
            )
        ),
        about=child,
    )


async def handover_command(update: Update, ctx: AlongsideContext) -> None:
    staff, tr = ctx.staff, ctx.tr
    found = await _target(update, ctx, staff, "/handover REF NAME")
    if found is None:
        return
    child, words = found
    candidates = (
        await continuity.staff_by_name(ctx.uow, " ".join(words))
        if words
        else await continuity.all_staff(ctx.uow)
    )
    # Interpreters never take a young person on.
    candidates = [c for c in candidates if c.id != child.advocate_id and not c.is_interpreter]
    if len(candidates) == 1 and words:
        await do_handover(ctx, staff, child, candidates[0])
        return
    rows = tuple((Button(c.name, data=HandoverTo(child.ref, c.id).encode()),) for c in candidates)
    await to_staff(
        ctx,
        staff,
        Outgoing(
            text=tr._(
                "Hand {nickname} · {ref} over to whom?", nickname=child.nickname, ref=child.ref
            )
            if rows
            else tr._("No colleague matches that name."),
            buttons=rows,
        ),
        about=child,
    )


async def on_handover_button(ctx: AlongsideContext, staff: StaffView, button: HandoverTo) -> None:
    tr = ctx.tr
    new = await people.get_staff(ctx.uow, button.staff_id)
    try:
        child = await continuity.child_for(ctx.uow, staff, button.ref)
    except AccessDenied:
        child = None
    if child is None or new is None:
        await to_staff(ctx, staff, notices.cannot_reach(tr))
        return
    await do_handover(ctx, staff, child, new)


async def do_handover(
    ctx: AlongsideContext, actor: StaffView, child: ChildView, new: StaffView
) -> None:
    uow = ctx.uow
    try:
        result = await continuity.hand_over(uow, actor, child, new)
    except AccessDenied:
        await to_staff(ctx, actor, notices.cannot_reach(ctx.tr))
        return
    moved = result.child
    new_tr = tr_for(ctx, new.locale)
    journey = content(ctx)
    stage = parse_stage(moved.stage or "")
    lines = [
        new_tr._(
            "{nickname} · {ref} is now with you, handed over by {actor}.",
            nickname=moved.nickname,
            ref=moved.ref,
            actor=actor.name,
        ),
        new_tr._(
            "Stage: {stage}",
            stage=journey.stages[stage].title.render(new_tr) if stage else new_tr._("not set"),
        ),
        new_tr.n_("{n} open alert.", "{n} open alerts.", result.open_alerts),
    ]
    lines += [
        "",
        new_tr._("Story so far, approved by them:"),
        result.summary or new_tr._("(none approved yet)"),
    ]
    await to_staff(
        ctx,
        new,
        Outgoing(text="\n".join(lines), protect=True),
        key_id=moved.data_key_id,
        child_id=moved.id,
    )
    await send_notes(ctx, new, moved, result.notes)
    if not result.closed:
        # A closed case moves without a word to them; their writing again opens it.
        await _tell_new_advocate(ctx, moved, new)
    others = [result.previous] if result.previous and result.previous.id != actor.id else []
    if not actor.is_supervisor:
        # An advocate handing over on their own: supervisors are told.
        others += await people.supervisors(uow)
    for person in [actor, *others]:
        person_tr = tr_for(ctx, person.locale)
        await to_staff(
            ctx,
            person,
            Outgoing(
                text=person_tr._(
                    "{nickname} · {ref} was handed over from {previous} to {new}.",
                    nickname=moved.nickname,
                    ref=moved.ref,
                    previous=result.previous.name if result.previous else "-",
                    new=new.name,
                )
            ),
            about=moved,
        )


async def _tell_new_advocate(ctx: AlongsideContext, child: ChildView, new: StaffView) -> None:
    child_tr = tr_for(ctx, child.locale)
    await to_child(
        ctx,
        child,
        Outgoing(
            text=child_tr._(
                "From now on, {advocate} is your advocate. They know your story so far, so you do "
                "not "
                "have to tell it again. Write here as before.",
                advocate=new.name,
            ),
            keyboard=notices.child_keyboard(child_tr),
        ),
    )
