"""Normalisation: each folding rule, on messages and (through the same code) on patterns."""

from __future__ import annotations

import pytest

from safety.normalize import exact_form, forms, loose_form


def loose(text: str) -> str:
    return forms(text).loose.strip()


def exact(text: str) -> str:
    return exact_form(text).strip()


def test_forms_are_padded_single_spaced_tokens() -> None:
    f = forms("  Hello,   WORLD!! ")
    assert f.exact == " hello world "
    assert f.loose == " helo world "


def test_nfkc_and_casefold() -> None:
    assert exact("ＨＥＬＰ") == "help"  # fullwidth letters
    assert exact("STRASSE Straße") == "strasse strasse"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Vreau să mor", "vreau sa mor"),
        ("Vreau sǎ mor", "vreau sa mor"),
        ("urmărește ş ţ ș ț", "urmareste s t s t"),
        ("Dua të vdes, ç", "dua te vdes c"),
        ("Em muốn chết", "em muon chet"),
        ("đang gặp nguy hiểm", "dang gap nguy hiem"),
        ("pomóż łódź", "pomoz lodz"),
        ("J'ai besoin d'aide, sœur", "je ai besoin d aide soeur"),
        ("fenêtre élève", "fenetre eleve"),
    ],
)
def test_diacritics_are_stripped_in_the_loose_form(raw: str, expected: str) -> None:
    assert loose(raw) == expected


def test_exact_form_keeps_diacritics() -> None:
    assert exact("Em muốn chết") == "em muốn chết"


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("يتبعني", "یتبعنی"),  # Arabic yeh vs Persian yeh
        ("كمك", "کمک"),  # Arabic kaf vs keheh
        ("مساعدة", "مساعده"),  # teh marbuta
        ("یارمەتی", "یارمهتی"),  # Kurdish ae vs heh
        ("على", "علي"),  # alef maksura
        ("أريد", "اريد"),  # alef with hamza
        ("إيذاء", "ايذاء"),
        ("آسیب", "اسیب"),
        ("كـــمك", "کمک"),  # tatweel
        ("أُرِيدُ", "اريد"),  # harakat
    ],
)
def test_arabic_script_variants_fold_together(variant: str, canonical: str) -> None:
    assert exact(variant) == exact(canonical)
    assert loose(variant) == loose(canonical)


def test_zwnj_is_a_word_break() -> None:
    assert exact("می\u200cخوام") == exact("می خوام")
    assert exact("خانواده\u200cام") == exact("خانواده ام")
    assert len(exact("می\u200cخوام").split()) == 2
    assert exact("a\u200db") == "ab"


def test_repeated_letters_collapse_in_the_loose_form() -> None:
    assert loose("helppp") == loose("help")
    assert loose("pleaseeeee") == loose("please")
    assert loose("soooo") == loose("so")
    assert loose("كمككككك") == loose("كمك")


@pytest.mark.parametrize(
    ("chat", "expanded"),
    [
        ("im in danger", "i am in danger"),
        ("i'm in danger", "i am in danger"),
        ("I’m scared", "i am scared"),
        ("dont", "do not"),
        ("don't", "do not"),
        ("can't", "can not"),
        ("won't", "will not"),
        ("u r", "you are"),
        ("plz", "please"),
        ("pls", "please"),
        ("jsuis", "je suis"),
        ("chui", "je suis"),
        ("jveux", "je veux"),
    ],
)
def test_chat_spellings_expand(chat: str, expanded: str) -> None:
    assert exact(chat) == expanded


def test_punctuation_becomes_space() -> None:
    assert exact("help!!!me...now?") == "help me now"
    assert exact("ሕጂ፡ሓገዝ።") == "ሕጂ ሓገዝ"
    assert exact("صباح الخير، متى؟") == "صباح الخير متي"


def test_geez_homophones_fold_in_the_loose_form() -> None:
    assert loose("ሐገዝ") == loose("ሀገዝ")
    assert loose("ሥራ") == loose("ስራ")
    assert loose("ዐይን") == loose("አይን")
    assert exact("ሥራ") != exact("ስራ")


def test_loose_form_is_idempotent() -> None:
    text = exact_form("Em muốn chết, helppp, pomóż")
    once = loose_form(text)
    assert loose_form(once) == once
