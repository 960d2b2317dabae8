"""The monthly chart opens as a PNG, with suppressed months marked rather than drawn."""

from __future__ import annotations

import io

from PIL import Image

from bot.charts import monthly_png


def test_a_chart_with_suppressed_months_is_a_png_that_opens() -> None:
    png = monthly_png(
        {
            "title": "By month",
            "months": ["2026-01", "2026-02", "2026-03"],
            "series": [["Young people supported", [12, "<5", 7]], ["Alerts", ["*", "<5", 0]]],
        }
    )
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        assert image.format == "PNG"
        assert image.size == (800, 450)


def test_a_chart_of_no_months_still_opens() -> None:
    with Image.open(io.BytesIO(monthly_png({"title": "", "months": [], "series": []}))) as image:
        image.load()
        assert image.format == "PNG"
