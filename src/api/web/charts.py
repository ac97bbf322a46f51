"""Charts drawn on the server as inline SVG: nothing to fetch, readable without script."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

PALETTE = ("#4b2e83", "#0b6e4f", "#b35c00", "#1f5fa8", "#a4161a", "#5c6b7a", "#7a4fb3")
WIDTH = 400
"""The charts' width in their own units. They scale to their box (at most 34rem wide, see
style.css), and so does their text: on a 390 px phone the box is about 335 px wide."""
TEXT_SIZE = 15
"""Text size in the chart's units: 15 * 335 / 400 ≈ 12.6 px on a phone, never below 12 px."""


def _svg(width: int, height: int, label: str, body: str, desc: str = "") -> Markup:
    description = f"<desc>{escape(desc)}</desc>" if desc else ""
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" font-size="{TEXT_SIZE}" role="img"'
        f' aria-label="{escape(label)}"><title>{escape(label)}</title>{description}{body}</svg>'
    )


def _number(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}".replace(",", "\u202f")
    return f"{value:.1f}" if value % 1 else f"{value:.0f}"


def line_chart(
    points: Sequence[tuple[str, float]], label: str, width: int = WIDTH, height: int = 180
) -> Markup:
    """A line over labelled points (e.g. months), with the axis' top value and end labels."""
    left, right, top, bottom = 62, 18, 14, 28
    inner_w, inner_h = width - left - right, height - top - bottom
    peak = max((value for _, value in points), default=0.0) or 1.0
    step = inner_w / max(len(points) - 1, 1)
    coords = [
        (left + i * step, top + inner_h - value / peak * inner_h)
        for i, (_, value) in enumerate(points)
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    area = f"{left},{top + inner_h} {line} {left + inner_w:.1f},{top + inner_h}"
    # At most five month labels fit the width at a readable size.
    every = max(-(-len(points) // 5), 1)
    ticks = "".join(
        f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle">{escape(name)}</text>'
        for i, ((name, _), (x, _)) in enumerate(zip(points, coords, strict=True))
        if (len(points) - 1 - i) % every == 0
    )
    table = "; ".join(f"{name}: {_number(value)}" for name, value in points)
    body = (
        f'<line x1="{left}" y1="{top + inner_h}" x2="{left + inner_w}" y2="{top + inner_h}"'
        f' class="axis"/><text x="{left - 6}" y="{top + 5}" text-anchor="end">'
        f"{_number(peak)}</text>"
        f'<text x="{left - 6}" y="{top + inner_h}" text-anchor="end">0</text>'
        f'<polygon points="{area}" class="area"/><polyline points="{line}" class="line"/>'
        f"{ticks}"
    )
    return _svg(width, height, label, body, table)


def bar_chart(bars: Sequence[tuple[str, float]], label: str, width: int = WIDTH) -> Markup:
    """Horizontal bars, largest scale first, each under its label with its value at its end
    (labels above the bars, so long names need no room beside them on a phone)."""
    row, right = 44, 84
    height = row * len(bars) + 6
    peak = max((value for _, value in bars), default=0.0) or 1.0
    parts = []
    for i, (name, value) in enumerate(bars):
        y = 4 + i * row
        length = max(value / peak * (width - right), 1 if value else 0)
        colour = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<text x="0" y="{y + 14}">{escape(name)}</text>'
            f'<rect x="0" y="{y + 20}" width="{length:.1f}" height="16"'
            f' fill="{colour}" rx="3"/>'
            f'<text x="{length + 6:.1f}" y="{y + 33}">{_number(value)}</text>'
        )
    return _svg(width, height, label, "".join(parts))


def column_chart(
    columns: Sequence[tuple[str, float]], label: str, width: int = WIDTH, height: int = 190
) -> Markup:
    """Vertical columns side by side (a histogram over ordered bands), values above them."""
    left, right, top, bottom = 4, 4, 22, 28
    inner_w, inner_h = width - left - right, height - top - bottom
    peak = max((value for _, value in columns), default=0.0) or 1.0
    slot = inner_w / max(len(columns), 1)
    parts = []
    for i, (name, value) in enumerate(columns):
        bar_h = max(value / peak * inner_h, 1 if value else 0)
        x, y = left + i * slot, top + inner_h - bar_h
        middle = x + slot / 2
        parts.append(
            f'<rect x="{x + slot * 0.1:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}"'
            f' height="{bar_h:.1f}" fill="{PALETTE[0]}" rx="2"/>'
            f'<text x="{middle:.1f}" y="{y - 5:.1f}" text-anchor="middle">{_number(value)}</text>'
            f'<text x="{middle:.1f}" y="{height - 8}" text-anchor="middle">{escape(name)}</text>'
        )
    table = "; ".join(f"{name}: {_number(value)}" for name, value in columns)
    body = (
        f'<line x1="{left}" y1="{top + inner_h}" x2="{left + inner_w}" y2="{top + inner_h}"'
        f' class="axis"/>{"".join(parts)}'
    )
    return _svg(width, height, label, body, table)
