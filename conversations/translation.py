"""Machine translation through a self-hosted server that speaks the LibreTranslate API.

Only the text to translate and the two language codes leave the deployment (`POST /translate`
with `q`, `source`, `target`, `format=text` and the key if one is set). The languages the server
offers (`GET /languages`: each source with its targets) are read once and again every hour, so a
pair it lacks is said to be missing, never guessed at.

Every call is bounded by a timeout: a translation may be late or missing, never in the way of
the message it belongs to. Nothing here raises for a server that is down, slow or refusing: the
answer says which.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx

log = logging.getLogger(__name__)

LANGUAGES_TTL = 3600.0
# Our locale codes that servers name differently.
SERVER_CODES: Mapping[str, str] = {"prs": "fa"}


class Missing(StrEnum):
    """Why there is no translation."""

    PAIR = "pair"  # the server cannot translate between these two languages
    DOWN = "down"  # refused, unreachable, or an error answer
    SLOW = "slow"  # no answer within the timeout
    SAME = "same"  # nothing to do: both sides read the same language


@dataclass(frozen=True)
class Translated:
    text: str | None
    missing: Missing | None = None


class TranslationClient:
    def __init__(self, base_url: str, api_key: str | None = None, *, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self._http = httpx.AsyncClient(timeout=timeout)
        self._pairs: dict[str, frozenset[str]] | None = None
        self._read_at = 0.0

    async def close(self) -> None:
        await self._http.aclose()

    async def pairs(self) -> dict[str, frozenset[str]] | None:
        """Source → targets the server offers; None when it cannot be asked now."""
        fresh = time.monotonic() - self._read_at < LANGUAGES_TTL
        if self._pairs is not None and fresh:
            return self._pairs
        try:
            answer = await self._http.get(f"{self.base_url}/languages")
            answer.raise_for_status()
            listed: Any = answer.json()
            self._pairs = {
                str(entry["code"]): frozenset(str(t) for t in entry.get("targets", ()))
                for entry in listed
            }
            self._read_at = time.monotonic()
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            log.warning("translation.languages_failed", extra={"error": type(exc).__name__})
        return self._pairs

    async def translate(self, text: str, source: str, target: str) -> Translated:
        source, target = SERVER_CODES.get(source, source), SERVER_CODES.get(target, target)
        if source == target:
            return Translated(None, Missing.SAME)
        pairs = await self.pairs()
        if pairs is None:
            return Translated(None, Missing.DOWN)
        if target not in pairs.get(source, frozenset()):
            return Translated(None, Missing.PAIR)
        body: dict[str, str] = {"q": text, "source": source, "target": target, "format": "text"}
        if self.api_key:
            body["api_key"] = self.api_key
        started = time.monotonic()
        try:
            answer = await self._http.post(f"{self.base_url}/translate", json=body)
        except httpx.TimeoutException:
            log.warning(
                "translation.slow", extra={"ms": round((time.monotonic() - started) * 1000)}
            )
            return Translated(None, Missing.SLOW)
        except httpx.HTTPError as exc:
            log.warning("translation.failed", extra={"error": type(exc).__name__})
            return Translated(None, Missing.DOWN)
        try:
            answer.raise_for_status()
            translated = answer.json()["translatedText"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            log.warning(
                "translation.failed",
                extra={"error": type(exc).__name__, "status": answer.status_code},
            )
            return Translated(None, Missing.DOWN)
        if not isinstance(translated, str) or not translated.strip():
            return Translated(None, Missing.DOWN)
        return Translated(translated)
