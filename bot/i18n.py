"""Translation glue: gettext catalogs per locale, chosen per recipient.

Catalogs are the ``.po`` files under ``locales/`` read directly at start-up (compiled ``.mo`` files
are build output and never needed). A missing catalog or string falls back to English and is
logged once. Text is always rendered for the person who will read it: a relay's header in the
advocate's language, the child's notices in the child's.
"""

from __future__ import annotations

import functools
import gettext
import io
import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_datetime, get_timezone
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from safety.detector import LANGUAGE_ALIASES

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
DEFAULT = "en"


@dataclass(frozen=True)
class Language:
    code: str
    native: str
    rtl: bool = False


LANGUAGES: tuple[Language, ...] = (
    Language("en", "English"),
    Language("sq", "Shqip"),
    Language("vi", "Tiếng Việt"),
    Language("ar", "العربية", rtl=True),
    # Dari before Persian: Telegram menus have one code for both, and Persian's is set last.
    Language("prs", "دری", rtl=True),
    Language("fa", "فارسی", rtl=True),
    Language("ps", "پښتو", rtl=True),
    Language("ckb", "کوردی", rtl=True),
    Language("ti", "ትግርኛ"),
    Language("am", "አማርኛ"),
    Language("ro", "Română"),
    Language("fr", "Français"),
    Language("pl", "Polski"),
)
SUPPORTED = {lang.code: lang for lang in LANGUAGES}
# Tags Telegram may send that one of our catalogs serves: the detector's table, so the words
# a child is screened in and the catalog they read never disagree, except that Afghan tags read
# the Dari catalog (the detector screens Dari with its Persian words).
ALIASES = {**LANGUAGE_ALIASES, "fa-af": "prs"}
# CLDR (and so babel) knows Dari as Persian of Afghanistan, not by its own code.
BABEL_LOCALES = {"prs": "fa_AF"}

LRI, FSI, PDI, RLM = "\u2066", "\u2068", "\u2069", "\u200f"
_OPENS_ISOLATE = {"LRI", "RLI", "FSI"}
# Bidi classes that can reorder a left-to-right sentence around them: right-to-left letters,
# Arabic digits, and explicit embeddings, overrides and isolates (a nickname may hold one).
_REORDERS = {"R", "AL", "AN", "LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}


def N_(message: str) -> str:
    """Mark a module-level string for extraction; it is translated later, when rendered."""
    return message


def babel_locale(code: str) -> str:
    """The babel (CLDR) locale for one of ours: dates, numbers and plural rules."""
    return BABEL_LOCALES.get(code, code)


def resolve(tag: str | None) -> str:
    """Telegram's ``language_code`` to a supported locale: ``sq-AL`` → sq, ``fa-AF`` → prs."""
    if not tag:
        return DEFAULT
    tag = tag.strip().lower().replace("_", "-")
    if tag in SUPPORTED:
        return tag
    if tag in ALIASES:
        return ALIASES[tag]
    base = tag.split("-", 1)[0]
    if base in SUPPORTED:
        return base
    return ALIASES.get(base, DEFAULT)


def starts_left_to_right(line: str) -> bool:
    """Whether a line's first strong letter outside isolates is left to right (UAX #9, P2): a
    line that the algorithm would lay out left to right, e.g. one that starts with a Latin name.
    """
    depth = 0
    for char in line:
        kind = unicodedata.bidirectional(char)
        if kind in _OPENS_ISOLATE:
            depth += 1
        elif kind == "PDI":
            depth = max(depth - 1, 0)
        elif depth == 0 and kind == "L":
            return True
        elif depth == 0 and kind in {"R", "AL"}:
            return False
    return False


def needs_isolation(value: str) -> bool:
    """Whether an inserted value could reorder a left-to-right sentence: a name in Arabic
    script, Arabic digits, or a bidi control character."""
    return any(unicodedata.bidirectional(char) in _REORDERS for char in value)


def right_to_left_lines(text: str) -> str:
    """``text`` with RLM before every line that would otherwise lay out left to right."""
    return "\n".join(
        f"{RLM}{line}" if starts_left_to_right(line) else line for line in text.split("\n")
    )


class Translator:
    """Strings in one locale. ``_``, ``p_`` and ``n_`` fill named placeholders, isolating values
    (FSI…PDI) so that a name in another script never reorders the sentence around it: every value
    in a right-to-left locale, and in a left-to-right one every value that could reorder it (a
    reference or a Latin name stays bare there, so staff can copy it into a command). In a
    right-to-left locale every line also starts right to left."""

    def __init__(self, locale: str, catalog: gettext.NullTranslations, timezone: str) -> None:
        self.locale = locale
        self.language = SUPPORTED[locale]
        self._catalog = catalog
        # Dates for a UK deployment read day first, also in English.
        self._babel = Locale.parse("en_GB" if locale == "en" else babel_locale(locale))
        self._tz = get_timezone(timezone)

    def _fill(self, text: str, values: dict[str, Any]) -> str:
        if values:
            rtl = self.language.rtl
            text = text.format(
                **{
                    k: f"{FSI}{v}{PDI}" if rtl or needs_isolation(str(v)) else v
                    for k, v in values.items()
                }
            )
        return right_to_left_lines(text) if self.language.rtl else text

    def _(self, message: str, **values: Any) -> str:
        return self._fill(self._catalog.gettext(message), values)

    def p_(self, context: str, message: str, **values: Any) -> str:
        """A message kept under a context (``msgctxt``): journey passages, by their stable id."""
        return self._fill(self._catalog.pgettext(context, message), values)

    def n_(self, singular: str, plural: str, n: int, **values: Any) -> str:
        return self._fill(self._catalog.ngettext(singular, plural, n), {"n": n, **values})

    def datetime(self, value: Any, fmt: str = "short") -> str:
        return format_datetime(value, fmt, tzinfo=self._tz, locale=self._babel)

    def time(self, value: Any) -> str:
        return format_datetime(value, "HH:mm", tzinfo=self._tz, locale=self._babel)


class Catalogs:
    """Every locale's catalog, loaded once."""

    def __init__(self, timezone: str = "Europe/London", directory: Path = LOCALES_DIR) -> None:
        self.timezone = timezone
        self._translators: dict[str, Translator] = {}
        for lang in LANGUAGES:
            self._translators[lang.code] = Translator(
                lang.code, _load(directory, lang.code), timezone
            )

    def get(self, locale: str | None) -> Translator:
        return self._translators.get(locale or DEFAULT) or self._translators[DEFAULT]


class _Fallback(gettext.NullTranslations):
    """English source text for anything missing; logs each missing string once."""

    def __init__(self, locale: str) -> None:
        super().__init__()
        self._locale = locale
        self._seen: set[str] = set()

    def gettext(self, message: str) -> str:
        if self._locale != DEFAULT and message not in self._seen:
            self._seen.add(message)
            log.warning("i18n.missing_string", extra={"locale": self._locale})
        return message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        self.gettext(msgid1)
        return msgid1 if n == 1 else msgid2


def _load(directory: Path, locale: str) -> gettext.NullTranslations:
    po_path = directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    try:
        stamp = po_path.stat().st_mtime_ns
    except FileNotFoundError:
        stamp = None
    return _compiled(po_path, locale, stamp)


# Compiling twelve catalogs costs a third of a second; each process (and each bot a test starts)
# reads them once, until a catalog file changes.
@functools.lru_cache(maxsize=64)
def _compiled(po_path: Path, locale: str, stamp: int | None) -> gettext.NullTranslations:
    fallback = _Fallback(locale)
    if stamp is None:
        if locale != DEFAULT:
            log.warning("i18n.missing_catalog", extra={"locale": locale})
        return fallback
    try:
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=babel_locale(locale))
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        buffer.seek(0)
        translations = gettext.GNUTranslations(buffer)
    except Exception:
        log.exception("i18n.bad_catalog", extra={"locale": locale})
        return fallback
    translations.add_fallback(fallback)
    return translations
