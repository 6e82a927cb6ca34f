"""The statistics chart: drawn headless, its Chinese in the CJK font the project ships."""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.font_manager import findfont
from matplotlib.image import imread
from matplotlib.patches import Rectangle

from bot.i18n import Translator
from bot.report import chart
from bot.report.stats import Counts, Row, legend

ROWS = [
    Row("聂元科", Counts(red=1, yellow=1, green=6), Counts(white=8)),
    Row("王昌华", Counts(green=40, white=2), Counts(white=42)),
]


def test_the_font_is_the_shipped_noto_sans_cjk() -> None:
    path = chart.font_path()
    assert path.name == "NotoSansCJKsc-Regular.otf"
    assert path.is_file()
    assert "mplfonts" in path.parts  # the package the project declares, not a system font


def test_every_label_is_drawn_in_the_shipped_font() -> None:
    figure = chart.draw(ROWS, title="《计划》2023Q3 目标灯色", legend=legend(Translator("zh")))
    axes = figure.axes[0]
    texts = [axes.title, *axes.get_yticklabels(), *figure.legends[0].get_texts()]
    assert [t.get_text() for t in axes.get_yticklabels()] == ["王昌华", "聂元科"]  # first on top
    assert [t.get_text() for t in figure.legends[0].get_texts()] == [
        "滞后/逾期",
        "预警",
        "正常/完成",
        "未填报",
    ]
    shipped = str(chart.font_path())
    for text in texts:
        assert Path(findfont(text.get_fontproperties())) == Path(shipped), text.get_text()


def test_the_chart_is_a_png_with_a_bar_per_row() -> None:
    png = chart.render(ROWS, title="《计划》2023Q3", legend=legend(Translator("en")))
    assert png.startswith(b"\x89PNG")
    pixels = imread(io.BytesIO(png), format="png")
    assert pixels.shape[1] == 9 * 120  # 9 inches at 120 dpi
    figure = chart.draw(ROWS, title="t", legend=legend(Translator("en")))
    bars = [p for p in figure.axes[0].patches if isinstance(p, Rectangle)]
    widths = sorted(round(p.get_width()) for p in bars if p.get_width())
    assert widths == [1, 1, 2, 6, 40]  # each light's share of each bar, zeros left out
