"""Charts drawn on the server as inline SVG: nothing to fetch, readable without script."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

PALETTE = ("#4b2e83", "#0b6e4f", "#b35c00", "#1f5fa8", "#a4161a", "#5c6b7a", "#7a4fb3")


def _number(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}".replace(",", "\u202f")
    return f"{value:.1f}" if value % 1 else f"{value:.0f}"


def line_chart(
    points: Sequence[tuple[str, float]], label: str, width: int = 560, height: int = 200
) -> Markup:
    """A line over labelled points (e.g. months), with the axis' top value and end labels."""
    left, right, top, bottom = 40, 10, 12, 26
    inner_w, inner_h = width - left - right, height - top - bottom
    peak = max((value for _, value in points), default=0.0) or 1.0
    step = inner_w / max(len(points) - 1, 1)
    coords = [
        (left + i * step, top + inner_h - value / peak * inner_h)
        for i, (_, value) in enumerate(points)
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    area = f"{left},{top + inner_h} {line} {left + inner_w:.1f},{top + inner_h}"
    ticks = "".join(
        f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle">{escape(name)}</text>'
        for i, ((name, _), (x, _)) in enumerate(zip(points, coords, strict=True))
        if i % max(len(points) // 6, 1) == 0 or i == len(points) - 1
    )
    table = "; ".join(f"{name}: {_number(value)}" for name, value in points)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img"'
        f' aria-label="{escape(label)}"><title>{escape(label)}</title>'
        f"<desc>{escape(table)}</desc>"
        f'<line x1="{left}" y1="{top + inner_h}" x2="{left + inner_w}" y2="{top + inner_h}"'
        f' class="axis"/><text x="{left - 6}" y="{top + 4}" text-anchor="end">'
        f"{_number(peak)}</text>"
        f'<text x="{left - 6}" y="{top + inner_h}" text-anchor="end">0</text>'
        f'<polygon points="{area}" class="area"/><polyline points="{line}" class="line"/>'
        f"{ticks}</svg>"
    )


def bar_chart(bars: Sequence[tuple[str, float]], label: str, width: int = 560) -> Markup:
    """Horizontal bars with their labels and values, largest scale first."""
    row, left, right = 26, 170, 90
    height = row * len(bars) + 8
    peak = max((value for _, value in bars), default=0.0) or 1.0
    parts = []
    for i, (name, value) in enumerate(bars):
        y = 4 + i * row
        length = max(value / peak * (width - left - right), 1 if value else 0)
        colour = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(name)}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{length:.1f}" height="{row - 8}"'
            f' fill="{colour}" rx="3"/>'
            f'<text x="{left + length + 6:.1f}" y="{y + 15}">{_number(value)}</text>'
        )
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img"'
        f' aria-label="{escape(label)}"><title>{escape(label)}</title>{"".join(parts)}</svg>'
    )


def column_chart(
    columns: Sequence[tuple[str, float]], label: str, width: int = 560, height: int = 200
) -> Markup:
    """Vertical columns side by side (a histogram over ordered bands), values above them."""
    left, right, top, bottom = 10, 10, 20, 26
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
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img"'
        f' aria-label="{escape(label)}"><title>{escape(label)}</title>'
        f"<desc>{escape(table)}</desc>"
        f'<line x1="{left}" y1="{top + inner_h}" x2="{left + inner_w}" y2="{top + inner_h}"'
        f' class="axis"/>{"".join(parts)}</svg>'
    )
