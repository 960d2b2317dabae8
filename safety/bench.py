"""Micro-benchmark for :meth:`Detector.scan` over a realistic mix of messages.

Run with ``python -m safety.bench``. The mix is mostly ordinary chat (greetings, questions
about appointments, hard negatives) with some urgent messages, in every supported script, plus
a few long messages, which is what the bot sees; each call is timed with ``perf_counter_ns``.
"""

from __future__ import annotations

import statistics
import time
from typing import Final

from safety.detector import Detector

__all__ = ["MESSAGES", "bench"]

MESSAGES: Final[tuple[tuple[str, str], ...]] = (
    ("good morning!", "en"),
    ("what time is my appointment with the solicitor tomorrow?", "en"),
    ("this homework is killing me lol", "en"),
    ("thanks for the phone credit, see you on monday", "en"),
    ("im scared, the men from the house are outside", "en"),
    ("i need help now", "en"),
    ("can you explain what the reasonable grounds decision means?", "en"),
    ("I went to the police station with my social worker yesterday", "en"),
    ("Mirëmëngjes, si je?", "sq"),
    ("Kam nevojë për ndihmë tani", "sq"),
    ("Hôm nay em đi học, mai em gặp luật sư", "vi"),
    ("em muon chet", "vi"),
    ("صباح الخير، متى موعدي؟", "ar"),
    ("أحتاج مساعدة الآن", "ar"),
    ("سلام، فردا کلاس دارم", "fa"),
    ("یکی دنبالمه", "fa"),
    ("Bonjour, c'est quand mon rendez-vous ?", "fr"),
    ("Bună ziua, mulțumesc pentru ajutor", "ro"),
    ("ሰላም ከመይ ኣለኹም", "ti"),
    ("ሰላም ነህ", "am"),
    ("سلام، څنګه یې؟", "ps"),
    ("سڵاو، چۆنی؟", "ckb"),
    ("Dzień dobry, dziękuję", "pl"),
    (
        "today I went to college and then we played football in the park, after that I "
        "cooked dinner with my foster carer and watched a film, it was a good day honestly "
        "and tomorrow I have my english class and then I meet my advocate at the office",
        "en",
    ),
)


def bench(n: int = 20000, detector: Detector | None = None) -> dict[str, float]:
    """Time ``n`` scans cycling through :data:`MESSAGES`; return median/p99/mean in µs."""
    det = detector or Detector.load()
    for text, lang in MESSAGES:  # warm caches (regex compilation is already done at load)
        det.scan(text, (lang,))
    timings: list[int] = []
    clock = time.perf_counter_ns
    count = len(MESSAGES)
    for i in range(n):
        text, lang = MESSAGES[i % count]
        start = clock()
        det.scan(text, (lang,))
        timings.append(clock() - start)
    timings.sort()
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    return {
        "n": float(n),
        "median_us": statistics.median(timings) / 1000,
        "p99_us": p99 / 1000,
        "mean_us": statistics.fmean(timings) / 1000,
    }


if __name__ == "__main__":
    for key, value in bench().items():
        print(f"{key}: {value:.1f}")
