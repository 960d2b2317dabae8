"""Text normalisation shared by messages and lexicon patterns.

Every message is reduced to two *forms* before matching, and every lexicon pattern is reduced
with exactly the same functions, so whatever folding we apply can never make a pattern unable to
match its own spelling:

``exact``
    Unicode NFKC, casefold, Arabic-script letter variants folded (ي/ی/ى, ك/ک, ة/ە/ۀ → ه,
    أ/إ/آ/ٱ → ا), tatweel and harakat removed, ZWNJ/ZWJ treated as a word break, English
    contractions expanded ("don't" → "do not"), apostrophes and every other non-word character
    turned into a space (French "l'avocat" → "l avocat"), and chat spellings expanded token by
    token ("im" → "i am", "plz" → "please", "jsuis" → "je suis").

``loose``
    The exact form with diacritics removed (combining marks stripped after NFD, plus letters
    that do not decompose: ł → l, đ → d, ø → o, ı → i), Ge'ez homophone series folded (ሐ/ኀ → ሀ,
    ሠ → ሰ, ዐ → አ, ፀ → ጸ: children rarely pick the "right" one) and every run of a repeated
    letter cut to one ("helppp" → "help", "pleaseee" → "please"), so "Vreau sa mor",
    "vreau să mor" and "Dua te vdes" meet their patterns.

Both forms are space-separated tokens padded with one space at each end (" i am in danger "),
which lets compiled patterns use a plain space as the word boundary in every script: ``\\b`` is
unreliable for Arabic script and Ge'ez, and a literal space keeps the regexes cheap.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

__all__ = [
    "CHAT_EXPANSIONS",
    "Forms",
    "exact_form",
    "forms",
    "loose_form",
    "model_tokens",
    "romanised",
]

# Arabic-script letters that children (and keyboards) use interchangeably. The Kurdish ە and
# the Persian/Arabic ة both fold to ه because Sorani spelling on Arabic keyboards writes ه.
_ARABIC_FOLD: Final[dict[int, str]] = {
    ord("ی"): "ي",  # Persian yeh
    ord("ى"): "ي",  # alef maksura
    ord("ې"): "ي",  # Pashto yeh variants
    ord("ۍ"): "ي",
    ord("ئ"): "ي",
    ord("ك"): "ک",  # Arabic kaf → keheh (the Persian/Kurdish/Pashto form)
    ord("ة"): "ه",
    ord("ە"): "ه",  # Sorani ae
    ord("ۀ"): "ه",
    ord("ہ"): "ه",
    ord("ھ"): "ه",
    ord("أ"): "ا",
    ord("إ"): "ا",
    ord("آ"): "ا",
    ord("ٱ"): "ا",
    ord("ؤ"): "و",
    ord("ـ"): "",  # tatweel: purely decorative stretching
    0x200C: " ",  # ZWNJ: Persian half-space; typed as a space, a ZWNJ or nothing
    0x200D: "",  # ZWJ
    0x200B: " ",  # zero-width space
    0xFEFF: "",  # BOM / zero-width no-break space
}
# Arabic harakat, Quranic marks, superscript alef: never needed to tell words apart in chat.
for _cp in (*range(0x064B, 0x0660), 0x0670, *range(0x06D6, 0x06EE)):
    _ARABIC_FOLD[_cp] = ""

# Letters that carry a "diacritic" but have no canonical decomposition.
_LATIN_LOOSE: Final[dict[int, str]] = {
    ord("ł"): "l",
    ord("đ"): "d",
    ord("ð"): "d",
    ord("ø"): "o",
    ord("ı"): "i",
    ord("ħ"): "h",
    ord("œ"): "oe",
    ord("æ"): "ae",
}


def _geez_fold() -> dict[int, int]:
    """Map whole Ge'ez consonant series (8 code points each) onto their common homophone."""
    table: dict[int, int] = {}
    # source series start → target series start
    for src, dst in (
        (0x1210, 0x1200),
        (0x1280, 0x1200),
        (0x1220, 0x1230),
        (0x12D0, 0x12A0),
        (0x1340, 0x1338),
    ):
        for i in range(8):
            table[src + i] = dst + i
    return table


_GEEZ_FOLD: Final[dict[int, int]] = _geez_fold()

# Chat spellings, applied per token to messages and patterns alike. The map is global rather
# than per language: because patterns go through the same map, a collision (Albanian "im" means
# "my") only renames a token consistently and cannot hide a match.
CHAT_EXPANSIONS: Final[dict[str, str]] = {
    # English
    "im": "i am",
    "iam": "i am",
    "ima": "i am going to",
    "ive": "i have",
    "theyre": "they are",
    "youre": "you are",
    "hes": "he is",
    "shes": "she is",
    "whos": "who is",
    "u": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "plse": "please",
    "dont": "do not",
    "didnt": "did not",
    "cant": "can not",
    "cannot": "can not",
    "wont": "will not",
    "isnt": "is not",
    "aint": "am not",
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "have to",
    "cuz": "because",
    "coz": "because",
    "bc": "because",
    "ppl": "people",
    "rn": "right now",
    "asap": "now",
    "n": "and",
    "thx": "thanks",
    "tnx": "thanks",
    "ok": "okay",
    "k": "không",  # Vietnamese teen code; English "k" (okay) is never part of a pattern
    "dnt": "do not",
    "nt": "not",
    "hlp": "help",
    "halp": "help",
    "hepl": "help",
    "sum1": "someone",
    "some1": "someone",
    "any1": "anyone",
    "no1": "no one",
    "2day": "today",
    "2nite": "tonight",
    "2night": "tonight",
    "tonite": "tonight",
    # French
    "jsuis": "je suis",
    "chui": "je suis",
    "chuis": "je suis",
    "jsui": "je suis",
    "jveux": "je veux",
    "jpeux": "je peux",
    "jai": "je ai",
    "j": "je",
    "stp": "s il te plait",
    "svp": "s il vous plait",
    "qqn": "quelqu un",
    "qq1": "quelqu un",
    "pk": "pourquoi",
    "pcq": "parce que",
    "mtn": "maintenant",
    "mnt": "maintenant",
    "ya": "il y a",
    "jpp": "j en peux plus",
    # Romanian
    "vr": "vreau",
    "pt": "pentru",
    "acm": "acum",
    "cnv": "cineva",
    "nu-s": "nu sunt",
    # Polish
    "pomocy": "pomoc",
    # Albanian
    "ndihme": "ndihmë",
    # Vietnamese teen code
    "ko": "không",
    "k0": "không",
    "hok": "không",
    "khong": "không",
    "dc": "được",
    "đc": "được",
    "j0": "gì",
    "mk": "mình",
    "mik": "mình",
    "bn": "bạn",
    "ng": "người",
}

# English contractions are expanded before apostrophes become spaces, so that "don't" and
# "dont" both read "do not" without a token map entry for a bare "don" or "t" (which would
# collide with other languages: Vietnamese "đơn" loses its accent to "don").
_CONTRACTION: Final = re.compile(r"\b(\w+?)(n['’]t|['’](?:m|re|ve|ll|d))\b")
_NEGATIVE_STEMS: Final = {"ca": "can", "wo": "will", "sha": "shall", "ai": "am"}
_SUFFIXES: Final = {"'m": " am", "'re": " are", "'ve": " have", "'ll": " will", "'d": " would"}


def _uncontract(match: re.Match[str]) -> str:
    stem, tail = match.group(1), match.group(2).replace("’", "'")
    if tail == "n't":
        return _NEGATIVE_STEMS.get(stem, stem) + " not"
    return stem + _SUFFIXES[tail]


_NON_WORD: Final = re.compile(r"[\W_]+")
# After _NON_WORD only single spaces separate tokens, so "any repeated non-digit" is a
# repeated letter. Digits are kept as they are: "999" is the emergency number, not "9".
_RUN: Final = re.compile(r"(\D)\1+")
# Combining marks to strip in the loose form (Latin/Vietnamese diacritics after NFD, Arabic
# hamza/madda left by NFD, Ethiopic gemination marks). A character class is much faster than
# testing unicodedata.combining() per character.
_COMBINING: Final = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
    "\u135d-\u135f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+"
)
_LOOSE_TABLE: Final[dict[int, str | int]] = {**_LATIN_LOOSE, **_GEEZ_FOLD}


@dataclass(frozen=True, slots=True)
class Forms:
    """The two padded, space-tokenised forms of one text."""

    exact: str
    loose: str


def _first_char(match: re.Match[str]) -> str:
    # A callable replacement is about twice as fast as the template r"\1" on CPython 3.11.
    return match.group(1)


def _expand(text: str) -> str:
    tokens = text.split()
    get = CHAT_EXPANSIONS.get
    return " " + " ".join(get(t, t) for t in tokens) + " "


def exact_form(text: str) -> str:
    """Return the padded exact form of ``text`` (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        text = text.translate(_ARABIC_FOLD)
    if "'" in text or "’" in text:
        text = _CONTRACTION.sub(_uncontract, text)
    return _expand(_NON_WORD.sub(" ", text))


def loose_form(exact: str) -> str:
    """Return the loose form of an already *exact* text (see the module docstring)."""
    if not exact.isascii():
        decomposed = unicodedata.normalize("NFD", exact)
        exact = unicodedata.normalize("NFC", _COMBINING.sub("", decomposed)).translate(_LOOSE_TABLE)
    return _RUN.sub(_first_char, exact)


def forms(text: str) -> Forms:
    """Normalise a message into both forms."""
    exact = exact_form(text)
    return Forms(exact=exact, loose=loose_form(exact))


# Arabizi and Finglish write letters Latin has no sign for with digits: "3ayez" (عايز),
# "7abibi", "5ayef". Inside a word that also has letters, read them as the letters people
# mean, so a spelling with digits meets the one without.
_DIGIT_LETTERS: Final = str.maketrans(
    {"2": "a", "3": "a", "4": "sh", "5": "kh", "6": "t", "7": "h", "8": "gh", "9": "q"}
)
_HAS_DIGIT: Final = re.compile(r"\d")
_HAS_LETTER: Final = re.compile(r"[^\W\d_]")
# Numbers with a unit or an ordinal are numbers: 5pm, 10am, 2nd, 3rd, 4th, 20h, 50kg.
_MEASURE: Final = re.compile(r"\d+(?:am|pm|st|nd|rd|th|h|min|kg|km|k|m|s|x)")


def romanised(token: str) -> str:
    """A token with digits standing for letters, read as letters (numbers stay numbers)."""
    if not _HAS_DIGIT.search(token) or not _HAS_LETTER.search(token) or _MEASURE.fullmatch(token):
        return token
    return _RUN.sub(_first_char, token.translate(_DIGIT_LETTERS))


def model_tokens(text: str) -> list[str]:
    """The loose-form tokens of ``text`` with romanised digits read as letters: what concepts
    and the model see."""
    return [romanised(t) for t in loose_form(exact_form(text)).split()]
