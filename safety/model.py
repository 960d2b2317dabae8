"""The statistical side of detection: a small model trained in this repository.

Three logistic regressions over hashed features (:mod:`safety.features`): one says *urgent*,
one says *worth a look* (concern or urgent), one says whether a text reads like published prose
(news, laws, books) rather than a chat, so that the bar for alarm is higher on a story about a
stabbing than on a message from a child; a softmax over the same features names the likely
category. A naive Bayes over character trigrams tells which languages a message is plausibly
written in, so each language's words (lexicon rules, concepts) are read only where that
language is. Trained by ``python -m safety.train`` from ``safety/corpus``; the weights are
committed in ``safety/model/model.npz`` and retraining reproduces them.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from safety.normalize import exact_form

__all__ = ["CATEGORY_BUCKETS", "LID_BUCKETS", "MODEL_PATH", "Model", "lid_grams"]

MODEL_PATH: Final = Path(__file__).resolve().parent / "model" / "model.npz"
LID_BUCKETS: Final = 1 << 14
CATEGORY_BUCKETS: Final = 1 << 16

Vector = npt.NDArray[np.float32]


def lid_grams(text: str) -> list[int]:
    """Hashed character trigrams of a text's exact form, for telling languages apart."""
    form = exact_form(text)
    mask = LID_BUCKETS - 1
    crc = zlib.crc32
    return [crc(form[i : i + 3].encode()) & mask for i in range(len(form) - 2)]


@dataclass(frozen=True)
class Model:
    urgent: Vector
    urgent_bias: float
    flag: Vector
    flag_bias: float
    published: Vector
    published_bias: float
    category: Vector  # (categories, CATEGORY_BUCKETS)
    category_bias: Vector
    categories: tuple[str, ...]
    lid: Vector  # (languages, LID_BUCKETS): log P(trigram | language)
    lid_languages: tuple[str, ...]
    meta: dict[str, Any]

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> Model:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        meta = json.loads(str(arrays["meta"]))
        return cls(
            urgent=arrays["urgent"].astype(np.float32),
            urgent_bias=float(meta["urgent_bias"]),
            flag=arrays["flag"].astype(np.float32),
            flag_bias=float(meta["flag_bias"]),
            published=arrays["published"].astype(np.float32),
            published_bias=float(meta["published_bias"]),
            category=arrays["category"].astype(np.float32),
            category_bias=np.asarray(meta["category_bias"], dtype=np.float32),
            categories=tuple(meta["categories"]),
            lid=arrays["lid"].astype(np.float32),
            lid_languages=tuple(meta["lid_languages"]),
            meta=meta,
        )

    @property
    def thresholds(self) -> dict[str, float]:
        found: dict[str, float] = self.meta["thresholds"]
        return found

    def scores(self, ids: Sequence[int]) -> tuple[float, float, bool]:
        """(P(urgent), P(worth a look), reads like published prose) for one window's distinct
        feature ids. Features weigh 1/sqrt(count) each (a unit-length vector), so a long text
        cannot pile up many faint signs into an alarm."""
        index = np.fromiter(ids, dtype=np.int64, count=len(ids))
        scale = 1.0 / math.sqrt(max(len(ids), 1))
        urgent = float(self.urgent[index].sum()) * scale + self.urgent_bias
        flag = float(self.flag[index].sum()) * scale + self.flag_bias
        published = float(self.published[index].sum()) * scale + self.published_bias
        return _sigmoid(urgent), _sigmoid(flag), published > 0

    def passes(
        self, urgent: float, flag: float, published: bool, backed: bool = False
    ) -> tuple[bool, bool]:
        """(urgent, worth a look) by the thresholds for chat, for chat in which a concept rule
        fired, or for published prose."""
        limits = self.thresholds
        key = "published" if published else "chat"
        bar = limits["urgent_backed"] if backed and not published else limits[f"urgent_{key}"]
        return urgent >= bar, flag >= limits[f"flag_{key}"]

    def category_of(self, ids: Sequence[int]) -> str:
        index = np.fromiter(ids, dtype=np.int64, count=len(ids)) & (CATEGORY_BUCKETS - 1)
        scale = 1.0 / math.sqrt(max(len(ids), 1))
        logits = self.category[:, index].sum(axis=1) * scale + self.category_bias
        return self.categories[int(np.argmax(logits))]

    def weights_of(self, ids: Sequence[int]) -> Vector:
        """Each feature's push towards urgent, for explaining a verdict."""
        return self.urgent[np.fromiter(ids, dtype=np.int64, count=len(ids))]

    def languages(self, text: str, margin: float) -> list[tuple[str, float]]:
        """Languages whose average trigram log-likelihood is within `margin` of the best, best
        first."""
        grams = lid_grams(text)
        if not grams:
            return []
        totals = self.lid[:, np.fromiter(grams, dtype=np.int64, count=len(grams))].mean(axis=1)
        best = float(totals.max())
        order = np.argsort(-totals)
        return [
            (self.lid_languages[i], float(totals[i]))
            for i in order
            if float(totals[i]) >= best - margin
        ]


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)
