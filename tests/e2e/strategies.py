"""Hypothesis strategies for raw Telegram updates, from well-formed to hostile.

Each draw is a `Fuzzed`: the raw dict handed to the emulator plus what the test needs to judge
the outcome (who sent it, and whether Telegram itself could have sent it). Telegram-shaped
updates are the ones the real server can produce; "malformed" ones (missing required fields,
wrong types, non-dicts where objects belong) are what a buggy proxy or a future API change could
deliver, and the bot must still not stop or leak for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

ADVOCATE = 701
SUPERVISOR = 702
CHILD = 9701
STRANGERS = tuple(range(200_001, 200_121))
GROUPS = (-100_555_0001, -4_242, -1)
BOT_ID = 123456
BOT_USERNAME = "alongside_test_bot"

# Characters that break naive text handling: direction overrides and isolates, zero-width
# joiners and spaces, a byte-order mark, combining marks, astral-plane emoji and the last code
# point. NUL is left out: Telegram never delivers it.
ODD_PIECES = (
    "\u202e",
    "\u202d",
    "\u200f",
    "\u200e",
    "\u2066",
    "\u2067",
    "\u2069",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u0301\u0301\u0301",
    "\u0e49\u0e49",
    "𝕳𝖊𝖑𝖑𝖔",
    "👩‍👩‍👧‍👦",
    "🏳️‍🌈",
    "\U0010fffd",
    "\U0001f600",
    "ﷺ",
    "ஸ்ரீ",
    "Z̷̢̛a̸l̵g̶o̷",
    "مرحبا",
    "שלום",
    "\u00ad",
    "\r\n",
    "\t",
    "<b>",
    "&amp;",
    "</i>",
    "${x}",
    "%s",
    "{advocate}",
    "\\",
    "'; DROP TABLE inbox; --",
)
LANGUAGES = (
    None,
    "en",
    "ar",
    "fa",
    "uk",
    "ru",
    "sq",
    "vi",
    "zh-hans",
    "pt-br",
    "EN-gb",
    "xx",
    "",
    "🙂",
    "en" * 40,
)
COMMANDS = (
    "start",
    "help",
    "invite",
    "children",
    "alerts",
    "resolve",
    "placed",
    "hide",
    "enrol",
    "staff",
    "unenrol",
    "start@" + BOT_USERNAME,
    "help@other_bot",
    "START",
    "nonsense",
    "ßtart",
    "x" * 64,
)
STATUSES = ("member", "kicked", "left", "restricted", "administrator", "creator", "zombie", "")
CALLBACK_PREFIXES = (
    "",
    "lang:",
    "lang:zz",
    "ci:",
    "ci:x:",
    "to:",
    "to:a:b",
    "to:::",
    "ack:",
    "open:",
    "ack:01ARZ3NDEKTSV4RRFFQ69G5FAV",
    "open:" + "9" * 26,
    "ci:a:help",
    "ci:b:bad",
)


@dataclass(frozen=True)
class Fuzzed:
    raw: dict[str, Any]
    sender: int | None
    role: str  # "stranger", "child", "advocate", "supervisor" or "nobody"
    kind: str
    telegram_shaped: bool


def _plain_text() -> st.SearchStrategy[str]:
    return st.text(
        st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00"),
        max_size=40,
    )


@st.composite
def odd_text(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(_plain_text(), st.sampled_from(ODD_PIECES)), max_size=5))
    return "".join(parts)


@st.composite
def huge_text(draw: st.DrawFn) -> str:
    # Repeating a short piece keeps Hypothesis' buffer small while the bot sees up to 10k chars.
    piece = draw(st.one_of(st.sampled_from(ODD_PIECES), _plain_text().filter(bool)))
    size = draw(st.integers(4_000, 10_000))
    return (piece * (size // len(piece) + 1))[:size]


def any_text() -> st.SearchStrategy[str]:
    return st.one_of(odd_text(), odd_text(), odd_text(), huge_text())


@st.composite
def user_dict(draw: st.DrawFn, user_id: int) -> dict[str, Any]:
    first_name = draw(
        st.one_of(st.sampled_from(("A", "Ана", "\u202enimdA", "👩‍👩‍👧‍👦")), odd_text().filter(bool))
    )
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    language = draw(st.sampled_from(LANGUAGES))
    if language is not None:
        user["language_code"] = language
    if draw(st.booleans()):
        user["username"] = draw(st.from_regex(r"[a-z][a-z0-9_]{4,20}", fullmatch=True))
    return user


def private_chat(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": "A"}


@st.composite
def command_text(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]]]:
    """A /command with junk arguments, with or without the entity Telegram adds."""
    command = "/" + draw(st.sampled_from(COMMANDS))
    argument = draw(
        st.one_of(
            st.just(""),
            st.text(
                st.characters(codec="ascii", exclude_characters="\x00"), min_size=150, max_size=200
            ),
            st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),
            st.sampled_from(("🙂🙂🙂", "👩‍👩‍👧‍👦 Star", "\u202eratS", "a b c d e f", "-", "@x")),
            odd_text(),
        )
    )
    text = f"{command} {argument}" if argument else command
    entities = (
        [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if draw(st.booleans())
        else []
    )
    return text, entities


def _location() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"latitude": st.floats(-90, 90), "longitude": st.floats(-180, 180)}
    )


def _other_kinds() -> dict[str, st.SearchStrategy[dict[str, Any]]]:
    """Kinds the bot cannot relay, and keys no Bot API version has."""
    name = odd_text().map(lambda t: t or "x")
    return {
        "location": st.fixed_dictionaries({"location": _location()}),
        "contact": st.fixed_dictionaries(
            {"contact": st.fixed_dictionaries({"phone_number": name, "first_name": name})}
        ),
        "poll": st.fixed_dictionaries(
            {
                "poll": st.fixed_dictionaries(
                    {
                        "id": st.just("p1"),
                        "question": name,
                        "options": st.just([{"text": "a", "voter_count": 0}]),
                        "total_voter_count": st.just(0),
                        "is_closed": st.just(False),
                        "is_anonymous": st.just(True),
                        "type": st.just("regular"),
                        "allows_multiple_answers": st.just(False),
                    }
                )
            }
        ),
        "dice": st.fixed_dictionaries(
            {
                "dice": st.fixed_dictionaries(
                    {"emoji": st.sampled_from("🎲🎯🏀⚽🎳🎰"), "value": st.integers(1, 64)}
                )
            }
        ),
        "venue": st.fixed_dictionaries(
            {
                "venue": st.fixed_dictionaries(
                    {"location": _location(), "title": name, "address": name}
                )
            }
        ),
        "game": st.fixed_dictionaries(
            {
                "game": st.fixed_dictionaries(
                    {"title": st.just("g"), "description": name, "photo": st.just([])}
                )
            }
        ),
        "made_up": st.dictionaries(
            st.from_regex(r"[a-z_]{3,20}", fullmatch=True),
            st.just({"x": 1}),
            min_size=1,
            max_size=2,
        ).map(lambda d: {**d, "hologram": [1, "two", None]}),
        "empty": st.just({}),
        "service": st.fixed_dictionaries({"new_chat_title": name}),
    }


@st.composite
def message_content(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A message body Telegram could send: text, a command, or a kind the bot cannot relay."""
    others = _other_kinds()
    choice = draw(st.sampled_from(("text",) * 6 + ("command",) * 4 + tuple(others)))
    if choice == "text":
        return "text", {"text": draw(any_text())}
    if choice == "command":
        text, entities = draw(command_text())
        return "command", {"text": text, **({"entities": entities} if entities else {})}
    return choice, draw(others[choice])


@st.composite
def sender(draw: st.DrawFn) -> tuple[str, int]:
    role = draw(
        st.sampled_from(("stranger",) * 12 + ("child",) * 4 + ("advocate",) * 3 + ("supervisor",))
    )
    ids = {"child": CHILD, "advocate": ADVOCATE, "supervisor": SUPERVISOR}
    return role, ids[role] if role in ids else draw(st.sampled_from(STRANGERS))


@st.composite
def private_message(draw: st.DrawFn, key: str = "message") -> Fuzzed:
    role, user_id = draw(sender())
    kind, content = draw(message_content())
    message: dict[str, Any] = {
        "message_id": draw(st.integers(1, 2**31 - 1)),
        "from": draw(user_dict(user_id)),
        "chat": private_chat(user_id),
        "date": draw(st.integers(1_600_000_000, 1_900_000_000)),
        **content,
    }
    if key == "edited_message":
        message["edit_date"] = message["date"] + 1
    elif draw(st.integers(0, 9)) == 0:
        message["reply_to_message"] = {
            "message_id": draw(st.integers(1, 10**6)),
            "chat": private_chat(user_id),
            "date": message["date"],
            "text": "earlier",
        }
    return Fuzzed({key: message}, user_id, role, f"{key}:{kind}", True)


@st.composite
def group_or_channel(draw: st.DrawFn) -> Fuzzed:
    role, user_id = draw(sender())
    chat_id = draw(st.sampled_from(GROUPS))
    _, content = draw(message_content())
    if draw(st.booleans()):
        post = {
            "message_id": draw(st.integers(1, 10**6)),
            "date": 1_700_000_000,
            "chat": {"id": chat_id, "type": "channel", "title": draw(odd_text()) or "c"},
            **content,
        }
        return Fuzzed(
            {draw(st.sampled_from(("channel_post", "edited_channel_post"))): post},
            None,
            "nobody",
            "channel_post",
            True,
        )
    message = {
        "message_id": draw(st.integers(1, 10**6)),
        "date": 1_700_000_000,
        "from": draw(user_dict(user_id)),
        "chat": {
            "id": chat_id,
            "type": draw(st.sampled_from(("group", "supergroup"))),
            "title": draw(odd_text()) or "g",
        },
        **content,
    }
    return Fuzzed({"message": message}, user_id, role, "group_message", True)


@st.composite
def callback_query(draw: st.DrawFn) -> Fuzzed:
    """A button press with data the bot never issued, with or without the message it was on."""
    role, user_id = draw(sender())
    data = draw(st.sampled_from(CALLBACK_PREFIXES)) + draw(
        st.one_of(st.just(""), st.from_regex(r"[A-Za-z0-9:_-]{0,40}", fullmatch=True), odd_text())
    )
    query: dict[str, Any] = {
        "id": str(draw(st.integers(1, 10**18))),
        "from": draw(user_dict(user_id)),
        "chat_instance": str(draw(st.integers(-(10**12), 10**12))),
    }
    if draw(st.integers(0, 5)):
        query["data"] = data.encode("utf-8")[:64].decode("utf-8", "ignore")
    if draw(st.booleans()):
        query["message"] = {
            "message_id": draw(st.integers(1, 10**6)),
            "chat": private_chat(user_id),
            "date": 1_700_000_000,
            "text": "old",
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Alongside"},
        }
    elif draw(st.booleans()):
        query["inline_message_id"] = draw(st.from_regex(r"[A-Za-z0-9]{10,30}", fullmatch=True))
    return Fuzzed({"callback_query": query}, user_id, role, "callback_query", True)


@st.composite
def membership(draw: st.DrawFn) -> Fuzzed:
    role, user_id = draw(sender())
    bot = {"id": BOT_ID, "is_bot": True, "first_name": "Alongside"}
    status = draw(st.sampled_from(STATUSES))
    change = {
        "chat": private_chat(user_id),
        "from": draw(user_dict(user_id)),
        "date": 1_700_000_000,
        "old_chat_member": {"user": bot, "status": "member"},
        "new_chat_member": {
            "user": bot,
            "status": status,
            **({"until_date": 0} if status == "kicked" else {}),
        },
    }
    # Telegram only reports the two statuses a private chat with a bot can have.
    return Fuzzed(
        {"my_chat_member": change},
        user_id,
        role,
        f"my_chat_member:{status}",
        status in ("member", "kicked"),
    )


@st.composite
def unknown_update(draw: st.DrawFn) -> Fuzzed:
    """Update kinds the bot does not ask for, and made-up ones from a future API."""
    key = draw(
        st.sampled_from(
            (
                "message_reaction",
                "business_message",
                "poll_answer",
                "chat_join_request",
                "purchased_paid_media",
                "hologram_update",
            )
        )
    )
    body = {
        "chat": {"id": draw(st.sampled_from(STRANGERS)), "type": "private"},
        "extra": draw(odd_text()),
    }
    return Fuzzed(
        {key: body} if draw(st.integers(0, 4)) else {}, None, "nobody", f"unknown:{key}", False
    )


@st.composite
def malformed(draw: st.DrawFn) -> Fuzzed:
    """What Telegram never sends: missing required fields, wrong types, non-objects."""
    base = draw(private_message())
    message = dict(base.raw["message"])
    how = draw(
        st.sampled_from(
            (
                "no_from",
                "no_chat",
                "no_date",
                "no_text",
                "no_message_id",
                "string_message_id",
                "chat_not_dict",
                "from_not_dict",
                "text_not_str",
                "message_not_dict",
                "query_not_dict",
                "member_not_dict",
                "date_garbage",
                "negative_ids",
            )
        )
    )
    if how.startswith("no_"):
        message.pop(
            {
                "no_from": "from",
                "no_chat": "chat",
                "no_date": "date",
                "no_text": "text",
                "no_message_id": "message_id",
            }[how],
            None,
        )
    elif how == "string_message_id":
        message["message_id"] = str(message["message_id"])
    elif how == "chat_not_dict":
        message["chat"] = draw(st.sampled_from(("private", 5, [], None)))
    elif how == "from_not_dict":
        message["from"] = draw(st.sampled_from(("me", 0, [1, 2], True)))
    elif how == "text_not_str":
        message["text"] = draw(st.sampled_from((5, ["a"], {"b": 1}, True, 1.5)))
    elif how == "date_garbage":
        message["date"] = draw(st.sampled_from(("yesterday", -1, 10**15, 1.5)))
    elif how == "negative_ids":
        message["message_id"] = -1
        message["from"] = {**message["from"], "id": -message["from"]["id"]}
    elif how in ("message_not_dict", "query_not_dict", "member_not_dict"):
        key = {
            "message_not_dict": "message",
            "query_not_dict": "callback_query",
            "member_not_dict": "my_chat_member",
        }[how]
        value = draw(st.sampled_from(("hello", 5, [], None, True, [{"text": "x"}])))
        return Fuzzed({key: value}, None, "nobody", f"malformed:{how}", False)
    return Fuzzed(
        {"message": message}, base.sender, base.role, f"malformed:{how}", how == "no_text"
    )


def updates() -> st.SearchStrategy[Fuzzed]:
    return st.one_of(
        private_message(),
        private_message(),
        private_message(),
        private_message(),
        private_message("edited_message"),
        group_or_channel(),
        callback_query(),
        callback_query(),
        membership(),
        unknown_update(),
        malformed(),
        malformed(),
    )
