"""The situations an independent evaluation found missed or falsely alarmed, in several
languages each: they must now behave.

These are not the blind evaluation set (``tests/safety/blind``): they are named in the issue
that asked for detection that generalises, and the detector was not edited for any of them.
"""

from __future__ import annotations

import pytest

from safety import Detector, Severity

URGENT = [
    # "he has a knife and is really angry"
    ("en", "he has a knife and is really angry"),
    ("fr", "il a un couteau et il est vraiment en colère"),
    ("ro", "are un cuțit și e foarte nervos"),
    ("sq", "ka një thikë dhe është shumë i nervozuar"),
    ("ar", "معه سكين وهو معصب كتير"),
    ("fa", "یه چاقو دستشه و خیلی عصبانیه"),
    ("pl", "on ma nóż i jest strasznie wściekły"),
    # "I won't be here tomorrow, thank you for everything"
    ("en", "I won't be here tomorrow, thank you for everything"),
    ("fr", "je serai plus là demain, merci pour tout"),
    ("ro", "mâine nu o să mai fiu aici, mulțumesc pentru tot"),
    ("sq", "nesër nuk do jem më këtu, faleminderit për gjithçka"),
    ("ar", "بكرة ما رح كون موجود، شكراً على كل شي"),
    ("vi", "mai em sẽ không còn ở đây nữa, cảm ơn chị vì tất cả"),
    # "there's no reason for me to live anymore"
    ("en", "there's no reason for me to live anymore"),
    ("fr", "j'ai plus aucune raison de vivre"),
    ("ro", "nu mai am niciun motiv să trăiesc"),
    ("fa", "دیگه هیچ دلیلی برای زنده موندن ندارم"),
    ("pl", "nie mam już po co żyć"),
    ("sq", "nuk kam më asnjë arsye për të jetuar"),
    # the older set's misses
    ("en", "i dont want to be alive anymore"),
    ("en", "someone is hurting me"),
    ("en", "pls help they r here"),
    ("fr", "je veux plus être en vie"),
    ("fr", "quelqu'un me fait du mal"),
    # Missed by the committed model (score 0.33): kept visible rather than tuned away; strict,
    # so the day a retrained model catches it this mark must go.
    pytest.param(
        "ro",
        "cineva îmi face rău",
        marks=pytest.mark.xfail(
            strict=True, reason="a measured miss; the detector is not edited for one line"
        ),
    ),
    ("ar", "في حدا عم يأذيني"),
    ("fa", "یکی داره اذیتم میکنه"),
    ("sq", "dikush po më lëndon"),
]

NOT_URGENT = [
    # "a year ago I was in danger but now I'm safe with my foster family"
    ("en", "A year ago I was in danger but now I'm safe with my foster family"),
    (
        "fr",
        "Il y a un an j'étais en danger mais maintenant je suis en sécurité avec ma "
        "famille d'accueil",
    ),
    ("ro", "Acum un an eram în pericol, dar acum sunt în siguranță cu familia mea de plasament"),
    ("sq", "Një vit më parë isha në rrezik, por tani jam i sigurt me familjen kujdestare"),
    ("pl", "Rok temu byłem w niebezpieczeństwie, ale teraz jestem bezpieczny z rodziną zastępczą"),
    ("ar", "من سنة كنت بخطر بس هلق أنا بأمان مع العيلة الحاضنة"),
    ("fa", "یه سال پیش در خطر بودم ولی الان با خانواده سرپرستم در امانم"),
    ("vi", "Một năm trước em gặp nguy hiểm nhưng giờ em an toàn với gia đình nhận nuôi"),
    # Polish "od", Vietnamese folded diacritics, Romanian "viol*" in published text
    ("pl", "Od poniedziałku szkoła będzie otwarta od ósmej rano."),
    ("pl", "Dostałem list od mojej siostry, która mieszka od roku w Krakowie."),
    ("vi", "Nhóm nghiên cứu đã công bố kết quả sau ba năm làm việc."),
    ("vi", "Chúng tôi có thể làm bài tập này vào ngày mai."),
    ("ro", "Violonistul a cântat la vioară în fața unui public numeros."),
    ("en", "The violinist played a sonata at the concert hall last night."),
    ("fr", "La violation du règlement a été sanctionnée par une amende."),
    ("ro", "Raportul privind violența în școli a fost publicat luni."),
]


@pytest.fixture(scope="module")
def det() -> Detector:
    return Detector.load()


@pytest.mark.parametrize(("language", "text"), URGENT)
def test_situations_once_missed_are_urgent(det: Detector, language: str, text: str) -> None:
    result = det.scan(text, (language,))
    assert result.severity is Severity.URGENT, result.reasons


@pytest.mark.parametrize(("language", "text"), NOT_URGENT, ids=[t for _, t in NOT_URGENT])
def test_situations_once_alarmed_are_not_urgent(det: Detector, language: str, text: str) -> None:
    result = det.scan(text, (language,))
    assert result.severity is not Severity.URGENT, result.reasons


def test_urgent_verdicts_explain_themselves(det: Detector) -> None:
    result = det.scan("he has a knife and is really angry", ("en",))
    assert result.reasons, "a verdict says why"
    assert any(reason.startswith("model ") for reason in result.reasons)
    assert 0.0 <= result.score <= 1.0
