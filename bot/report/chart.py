"""The chart of a period's statistics: a stacked bar per leader or unit, by light (PNG).

Drawn headless with matplotlib's Agg canvas on a Figure of its own (no pyplot, no global
state: the bot draws from several tasks). Chinese must render on any machine, so every text
uses the Noto Sans CJK SC font that the mplfonts package ships, loaded by path; fonts the
machine happens to have are never looked at.
"""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.report.stats import COUNT_ORDER, Row

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# The lights' colours, as the traffic-light emoji show them.
COLOURS = {"🔴": "#d93025", "🟡": "#f4b400", "🟢": "#188038", "⚪": "#c8c8c8"}
FONT_FILE = "NotoSansCJKsc-Regular.otf"


def font_path() -> Path:
    """Return the path of the CJK font the charts use (shipped by mplfonts, not imported)."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the mplfonts package (the charts' CJK font) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "fonts" / FONT_FILE


def draw(rows: Sequence[Row], *, title: str, legend: dict[str, str]) -> Figure:
    """Return the figure: one stacked bar per row, by light, longest list top down.

    `legend` names each light (🔴 → 滞后/逾期); the emoji themselves are not in the font.
    """
    # matplotlib is imported when a chart is drawn: every other command starts half a second
    # sooner without it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    font = FontProperties(fname=font_path(), size=10)
    height = max(3.0, 1.2 + 0.42 * len(rows))
    figure = Figure(figsize=(9, height), dpi=120, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    names = [row.name for row in rows][::-1]  # the first row on top
    left = [0] * len(rows)
    for light in COUNT_ORDER:
        counts = [row.now.of(light) for row in rows][::-1]
        bars = axes.barh(
            names, counts, left=left, color=COLOURS[light], label=legend[light], height=0.6
        )
        labels = [str(n) if n else "" for n in counts]
        axes.bar_label(bars, labels=labels, label_type="center", fontproperties=font)
        left = [a + b for a, b in zip(left, counts, strict=True)]
    axes.set_title(title, fontproperties=FontProperties(fname=font_path(), size=13))
    for label in axes.get_yticklabels() + axes.get_xticklabels():
        label.set_fontproperties(font)
    axes.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    axes.spines[["top", "right"]].set_visible(False)
    figure.legend(prop=font, loc="outside lower center", frameon=False, ncols=len(COUNT_ORDER))
    return figure


def render(rows: Sequence[Row], *, title: str, legend: dict[str, str]) -> bytes:
    """Return the chart as PNG bytes."""
    buffer = io.BytesIO()
    draw(rows, title=title, legend=legend).savefig(buffer, format="png")
    return buffer.getvalue()
