"""The SLA compliance report's charts, drawn server-side as SVG with matplotlib.

Each chart is a standalone ``<svg>`` string, drawn with matplotlib's object API (no
pyplot state shared between requests) and with fixed ids and no timestamp, so the same
numbers always give the same SVG.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib as mpl
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# The same input gives the same SVG: ids from a fixed salt, no creation date.
mpl.rcParams["svg.hashsalt"] = "ticket-warden"
_METADATA = {"Date": None, "Creator": "ticket-warden"}
_MET, _BREACHED = "#2e7d32", "#c62828"


def met_and_breached_svg(months: Sequence[tuple[str, int, int]]) -> str:
    """Bars per month: first responses in time against tickets breached."""
    figure = Figure(figsize=(6.4, 3.2))
    axes = figure.add_subplot()
    labels = [label for label, _met, _breached in months]
    positions = range(len(labels))
    met = axes.bar([p - 0.2 for p in positions], [m for _l, m, _b in months], 0.4, label="met",
                   color=_MET)  # fmt: skip
    breached = axes.bar([p + 0.2 for p in positions], [b for _l, _m, b in months], 0.4,
                        label="breached", color=_BREACHED)  # fmt: skip
    # Each bar is a <g id="met-2026-11"> in the SVG: pages and tests can find it.
    for label, met_bar, breached_bar in zip(labels, met, breached, strict=True):
        met_bar.set_gid(f"met-{label}")
        breached_bar.set_gid(f"breached-{label}")
    axes.set_xticks(list(positions), labels)
    axes.set_ylabel("tickets")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(frameon=False)
    axes.set_title("First responses met and breached, by month")
    return _svg(figure)


def response_times_svg(histogram: Sequence[tuple[str, int]]) -> str:
    """Tickets per band of business hours to a person's first response: one bar per
    band, equally wide, so that the short bands (where most tickets are) can be read."""
    figure = Figure(figsize=(6.4, 3.2))
    axes = figure.add_subplot()
    labels = [label.removesuffix(" h") for label, _count in histogram]
    positions = range(len(labels))
    bars = axes.bar(list(positions), [count for _label, count in histogram], 0.8, color="#1565c0")
    # Each bar is a <g id="bin-N"> in the SVG: pages and tests can find it.
    for number, bar in enumerate(bars):
        bar.set_gid(f"bin-{number}")
    axes.set_xticks(list(positions), labels)
    axes.set_xlabel("business hours to the first response")
    axes.set_ylabel("tickets")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title("Time to first response")
    return _svg(figure)


def _svg(figure: Figure) -> str:
    figure.tight_layout()
    FigureCanvasSVG(figure)  # attaches itself to the figure
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata=_METADATA)
    text = out.getvalue()
    return text[text.index("<svg") :]  # the element alone, to sit inside a page
