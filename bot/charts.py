"""The statistics' monthly trend as a PNG, drawn with matplotlib on its Agg canvas (no screen,
no pyplot state shared between calls).

Drawn when the message is sent, from the figures in the outbox row alone; a month whose figure
is suppressed is left out of its line and marked "<5" (or "*") at the foot of the chart.
"""

from __future__ import annotations

import io
from typing import Any


def monthly_png(extra: dict[str, Any]) -> bytes:
    """`extra` as `bot.statistics.chart` made it: a title, the months, and named series
    whose values are numbers, or the mark shown instead of one ("<5", "*")."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    months: list[str] = list(extra.get("months", []))
    figure = Figure(figsize=(8, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(months)))
    marks: dict[int, set[str]] = {}
    for name, values in extra.get("series", []):
        points = list(zip(positions, values, strict=False))
        shown = [(x, v) for x, v in points if isinstance(v, int | float)]
        axes.plot([x for x, _ in shown], [v for _, v in shown], marker="o", label=str(name))
        for x, v in points:
            if not isinstance(v, int | float):
                marks.setdefault(x, set()).add(str(v))
    for x, found in marks.items():
        axes.annotate("/".join(sorted(found)), (x, 0), ha="center", va="bottom", fontsize=7)
    axes.set_xticks(positions, months, rotation=45, ha="right", fontsize=8)
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", alpha=0.3)
    axes.set_title(str(extra.get("title", "")))
    if extra.get("series"):
        axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
