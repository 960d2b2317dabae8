"""The HTTP transport for Bot API calls, remembering each call's raw answer.

Telegram has no idempotency key: a send it accepted must never be repeated, even when
python-telegram-bot cannot make sense of the answer (a proxy's HTML, a field it does not
expect). The dispatcher reads what the server really said from `last_answer` when a send
raises something other than a Telegram refusal.
"""

from __future__ import annotations

import contextvars
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram.request import BaseRequest, HTTPXRequest, RequestData

if TYPE_CHECKING:
    from telegram._utils.types import ODVInput

DEFAULT_NONE = BaseRequest.DEFAULT_NONE

__all__ = ["Answer", "RecordingRequest", "last_answer"]


@dataclass(frozen=True)
class Answer:
    """One HTTP answer from the Bot API server, as it came."""

    status: int
    body: bytes

    @property
    def accepted(self) -> bool:
        """Telegram answers 200 exactly when it carried out the call."""
        return 200 <= self.status <= 299

    def message_id(self) -> int | None:
        """The sent message's id, if the body says so; None for anything unreadable."""
        try:
            data: Any = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None
        result = data.get("result") if isinstance(data, dict) else None
        found = result.get("message_id") if isinstance(result, dict) else None
        return found if isinstance(found, int) and not isinstance(found, bool) else None


# Per task: each send runs in a task of its own, so answers never cross between sends.
last_answer: contextvars.ContextVar[Answer | None] = contextvars.ContextVar(
    "last_answer", default=None
)


class RecordingRequest(HTTPXRequest):
    """python-telegram-bot's own HTTPX transport; it also keeps the raw answer of each call."""

    async def do_request(  # noqa: PLR0917 - the signature python-telegram-bot calls
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        last_answer.set(None)
        status, body = await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        last_answer.set(Answer(status, body))
        return status, body
