"""Detector behaviour: API, hard negatives, generalisation, explainability, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safety import CATEGORIES, Detector, LexiconError, ScanResult, Severity
from safety.concepts import load_concepts
from safety.lexicon import LEXICON_DIR, available_languages, compile_pattern, load_lexicon
from safety.model import Model
from safety.normalize import exact_form, loose_form
from tests.safety.test_dev_set import DEV_SET

LANGUAGES = ("am", "ar", "ckb", "en", "fa", "fr", "pl", "ps", "ro", "sq", "ti", "vi")


@pytest.fixture(scope="module")
def det() -> Detector:
    return Detector.load()


def test_every_supported_language_has_a_lexicon() -> None:
    assert set(LANGUAGES) <= set(available_languages())


def test_severity_is_ordered() -> None:
    assert Severity.NONE < Severity.CONCERN < Severity.URGENT
    assert max(Severity.CONCERN, Severity.URGENT, Severity.NONE) is Severity.URGENT
    assert Severity("urgent") is Severity.URGENT


def test_scan_result_shape(det: Detector) -> None:
    r = det.scan("i want to die, they took my passport", ["en"])
    assert isinstance(r, ScanResult)
    assert r.severity is Severity.URGENT
    assert r.categories == tuple(sorted(set(r.categories)))
    assert r.rules == tuple(sorted(set(r.rules)))
    assert {"self_harm", "trafficker_control"} <= set(r.categories)
    assert "en" in r.languages
    with pytest.raises(AttributeError):
        r.severity = Severity.NONE  # type: ignore[misc]


def test_nothing_found_is_none(det: Detector) -> None:
    r = det.scan("good morning", ["en"])
    assert (r.severity, r.categories, r.rules, r.reasons) == (Severity.NONE, (), (), ())
    assert 0.0 <= r.score < 0.5


@pytest.mark.slow  # loads the detector three more times: seconds
def test_load_is_cached_and_subsettable() -> None:
    assert Detector.load() is Detector.load()
    sq = Detector.load(languages=["sq"])
    assert sq.languages == ("en", "sq")  # English is always loaded: children mix it in
    assert {rule.language for rule in sq.rules} == {"en", "sq"}
    assert Detector.load(languages=["prs"]).languages == ("en", "fa")
    with pytest.raises(ValueError, match="xx"):
        Detector.load(languages=["xx"])


def test_a_message_is_read_in_the_languages_it_looks_like(det: Detector) -> None:
    assert "fa" in det.scan("یکی دنبالمه، خیلی میترسم").languages
    assert "ps" in det.scan("زه ډېر ویره لرم، هغوی راپسې دي").languages
    assert {"ti", "am"} & set(det.scan("ሓግዙኒ").languages)
    assert "en" in det.scan("hello, how are you").languages
    # Polish is not read as English: the English words of the lexicons stay out of it.
    assert "en" not in det.plausible("Od poniedziałku szkoła będzie otwarta od ósmej rano.", ["pl"])
    # Code-switched text is read as both of its languages.
    assert {"fa", "en"} <= det.plausible("فردا میرم school, see you", ["fa"])
    # Romanised Arabic and Persian are read as Arabic and Persian.
    assert det.scan("ana fi khatar").urgent
    assert det.scan("komak lazem daram").urgent


def test_locale_hints_are_canonicalised(det: Detector) -> None:
    assert "fa" in det.scan("سلام", ["prs"]).languages
    assert "fr" in det.scan("x", ["fr-FR"]).languages
    assert det.scan("x", ["zz"]).severity is Severity.NONE


@pytest.mark.parametrize(
    "text",
    [
        "this homework is killing me",
        "I'm dying to see my mum",
        "I could kill for a pizza",
        "the film was scary",
        "he left the house and came back",
        "I went to the police station with my social worker yesterday",
        "hello!",
        "good night, thank you",
        "thanks for your help today",
        "what is the NRM?",
        "when is my next appointment?",
        "what happens after the reasonable grounds decision?",
        "can you help me with my college form?",
        "my mum is going to kill me if I'm late haha",
        "I'm not in danger, don't worry",
        "I owe my friend money for lunch",
        "my social worker has my passport for the application",
        "the teacher told me to come back tomorrow",
        "he is outside playing football",
        "Je suis mort de rire",
        "Il fait froid dehors",
        "Mulțumesc pentru ajutor",
        "Dziękuję za pomoc",
        "ممنون که کمکم کردی",
        "الهی بمیرم برات",
        "Từ từ thôi em",
        "em mệt chết đi được",
        "Faleminderit për ndihmën",
        "شكرا على المساعدة",
    ],
)
def test_hard_negatives_are_not_urgent(det: Detector, text: str) -> None:
    assert det.scan(text, ["en"]).severity is not Severity.URGENT, det.scan(text).rules


@pytest.mark.parametrize(
    "text",
    [
        "I ran away from the traffickers two years ago",
        "I hurt myself playing football",
        "i dont want to die",
        "i feel so lonely",
        "nobody believes me",
    ],
)
def test_past_resolved_or_low_level_is_not_urgent(det: Detector, text: str) -> None:
    assert det.scan(text, ["en"]).severity is not Severity.URGENT


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("HELP ME PLEASE", "en"),
        ("helpppp", "en"),
        ("some1 is folowing me", "en"),
        ("theyre waiting outside for me, the men from the house", "en"),
        ("i need help right now", "en"),
        ("they are forcing me to sell drugs", "en"),
        ("i will kill myself", "en"),
        ("I have to pay them back for bringing me here", "en"),
        ("dua te vdes", "sq"),
        ("me ndihmoni tani", "sq"),
        ("em muon tu tu", "vi"),
        ("ho giu ho chieu cua em", "vi"),
        ("vreau sa mor", "ro"),
        ("jsuis en danger", "fr"),
        ("je veux me suicider", "fr"),
        ("ana bidi amoot", "ar"),
        ("انا في خطر", "ar"),
        ("ساعدوني", "ar"),
        ("mikham bemiram", "fa"),
        ("كمك لازم دارم الان", "fa"),
        ("کمک لازم دارم الآن", "fa"),
        ("ዕርዳታ ያስፈልገኛል አሁን", "am"),
        ("ሓገዝ የድልየኒ", "ti"),
    ],
)
def test_generalises_to_other_spellings(det: Detector, text: str, language: str) -> None:
    assert det.scan(text, [language]).urgent, text


@pytest.mark.slow  # loads a second detector: seconds
def test_scan_is_deterministic(det: Detector) -> None:
    texts = ["i want to die", "they took my documents", "hello", "Dua të vdes", "یکی دنبالمه"]
    first = [det.scan(t) for t in texts]
    assert det.model is not None
    fresh = Detector(det.rules, load_concepts(), Model.load())
    assert [fresh.scan(t) for t in texts] == first
    assert [det.scan(t) for t in reversed(texts)] == list(reversed(first))


def test_rules_are_well_formed() -> None:
    seen: set[str] = set()
    for lang in available_languages():
        rules = load_lexicon(lang)
        assert rules, lang
        for rule in rules:
            assert rule.id not in seen
            seen.add(rule.id)
            assert rule.id.startswith(f"{lang}.")
            assert rule.category in CATEGORIES
            assert rule.severity in (Severity.CONCERN, Severity.URGENT)


def test_no_rule_copies_a_dev_set_sentence() -> None:
    dev = DEV_SET
    if not dev.is_file():
        pytest.skip(f"safety dev set not found at {dev} (set ALONGSIDE_SAFETY_DEV_SET)")
    sentences = {
        loose_form(exact_form(json.loads(line)["text"])).strip()
        for line in dev.read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    for path in LEXICON_DIR.glob("*.json"):
        for rule in json.loads(path.read_text(encoding="utf-8"))["rules"]:
            for pattern in rule["patterns"]:
                words = pattern.lstrip("=").replace("_", " ")
                assert loose_form(exact_form(words)).strip() not in sentences, rule["id"]


def test_pattern_syntax() -> None:
    p = compile_pattern("they ~3 outside|at_the_door")
    assert p.search(" they are all outside ", " they are al outside ")
    assert not p.search(" they went to the shop and then outside ", " ")
    start = compile_pattern("^ help|help_me ~1 $")
    assert start.search(" help me please ", " help me please ")
    assert not start.search(" thanks for the help ", " thanks for the help ")
    stem = compile_pattern("suicid*")
    assert stem.search("", " suicidal ")
    suffix = compile_pattern("*تبعني")
    assert suffix.search("", " يتبعني ")
    exact_only = compile_pattern("=chết")
    assert exact_only.search(" chết ", " chet ")
    assert not exact_only.search(" chet ", " chet ")


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "xx.a", "category": "nope", "severity": "urgent", "patterns": ["a"]},
        {"id": "xx.a", "category": "danger_now", "severity": "none", "patterns": ["a"]},
        {"id": "yy.a", "category": "danger_now", "severity": "urgent", "patterns": ["a"]},
        {"id": "xx.a", "category": "danger_now", "severity": "urgent", "patterns": []},
        {"id": "xx.a", "category": "danger_now", "severity": "urgent", "patterns": ["a|"]},
    ],
)
def test_malformed_lexicons_fail_loudly(tmp_path: Path, bad: dict[str, object]) -> None:
    (tmp_path / "xx.json").write_text(json.dumps({"language": "xx", "rules": [bad]}))
    with pytest.raises(LexiconError):
        load_lexicon("xx", tmp_path)


def test_single_locale_string_and_rule_lookup(det: Detector) -> None:
    assert det.scan("Dua të vdes", "sq").urgent
    rule = det.rule("en.selfharm.die.1")
    assert rule.category == "self_harm"
    assert rule.severity is Severity.URGENT
    with pytest.raises(KeyError):
        det.rule("nope")


@pytest.mark.parametrize("text", ["", " ", "\n\t", "...", "?!", "—", "   ,  "])
def test_nothing_to_read_is_none(det: Detector, text: str) -> None:
    # With no word and no emoji there is nothing to weigh: no lone feature decides.
    r = det.scan(text, ["en"])
    assert (r.severity, r.score, r.reasons) == (Severity.NONE, 0.0, ())
