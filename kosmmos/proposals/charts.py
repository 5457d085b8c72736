"""Charts as inline SVG, drawn on the server so the browser and WeasyPrint show the same picture.

Only plain shapes (rect, path, polygon, polyline, circle, text) and presentation attributes: the
subset WeasyPrint's SVG renderer draws exactly like a browser. Every function returns markup safe
to put into a template; all text that comes from data is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
PALETTE = ("#0ea5e9", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#14b8a6", "#f97316",
           "#64748b", "#ec4899", "#84cc16")


@dataclass(frozen=True)
class Slice:
    label: str
    value: float


def colours(brand: str, count: int) -> list[str]:
    """The agency's colour first, then a fixed palette, so charts match the branding."""
    first = brand if _is_hex(brand) else PALETTE[0]
    sequence = [first, *(c for c in PALETTE if c.lower() != first.lower())]
    return [sequence[i % len(sequence)] for i in range(count)]


def _is_hex(value: str) -> bool:
    return len(value) == 7 and value.startswith("#") and all(
        c in "0123456789abcdefABCDEF" for c in value[1:]
    )


def _svg(width: int, height: int, body: list[str], title: str) -> SafeString:
    # Width/height give WeasyPrint the size; the style lets a browser scale it down.
    return mark_safe(  # noqa: S308 -- every data string below is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'style="max-width:100%;height:auto" font-family="{FONT}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _text(x: float, y: float, text: str, size: int = 11, anchor: str = "start",
          fill: str = "#374151", weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'fill="{fill}" font-weight="{weight}">{escape(text)}</text>')


def _arc_path(cx: float, cy: float, r: float, inner: float, start: float, end: float) -> str:
    """A donut segment from angle ``start`` to ``end`` (radians, clockwise from 12 o'clock)."""
    large = 1 if end - start > math.pi else 0

    def point(radius: float, angle: float) -> str:
        return f"{cx + radius * math.sin(angle):.2f} {cy - radius * math.cos(angle):.2f}"

    return (f"M {point(r, start)} A {r} {r} 0 {large} 1 {point(r, end)} "
            f"L {point(inner, end)} A {inner} {inner} 0 {large} 0 {point(inner, start)} Z")


def donut(slices: Sequence[Slice], brand: str, title: str, centre: str = "") -> SafeString:
    """Shares of a whole (the budget by network) with a legend on the right."""
    width, height, cx, cy, r, inner = 420, 200, 100, 100, 90, 55
    total = sum(s.value for s in slices if s.value > 0)
    fills = colours(brand, len(slices))
    body: list[str] = []
    angle = 0.0
    for item, fill in zip(slices, fills, strict=True):
        if total <= 0 or item.value <= 0:
            continue
        sweep = 2 * math.pi * item.value / total
        # An arc cannot start and end at one point: a 100% slice is drawn as two halves.
        parts = [(angle, angle + sweep)] if sweep < 2 * math.pi - 1e-6 else [
            (0.0, math.pi), (math.pi, 2 * math.pi)]
        for start, end in parts:
            body.append(f'<path d="{_arc_path(cx, cy, r, inner, start, end)}" fill="{fill}" '
                        f'stroke="#fff" stroke-width="1"/>')
        angle += sweep
    if centre:
        body.append(_text(cx, cy + 5, centre, size=13, anchor="middle", weight="bold"))
    for i, (item, fill) in enumerate(zip(slices, fills, strict=True)):
        y = 30 + i * 22
        share = 100 * item.value / total if total > 0 else 0
        body.append(f'<rect x="215" y="{y - 10}" width="12" height="12" rx="2" fill="{fill}"/>')
        body.append(_text(233, y, f"{item.label} — {share:.0f}%"))
    return _svg(width, height, body, title)


def stacked_bar(slices: Sequence[Slice], brand: str, title: str) -> SafeString:
    """One horizontal bar split by share (the budget by activity type), legend below."""
    width, bar_h = 640, 26
    total = sum(s.value for s in slices if s.value > 0)
    fills = colours(brand, len(slices))
    body: list[str] = []
    x = 0.0
    for item, fill in zip(slices, fills, strict=True):
        if total <= 0 or item.value <= 0:
            continue
        w = width * item.value / total
        body.append(f'<rect x="{x:.2f}" y="0" width="{w:.2f}" height="{bar_h}" fill="{fill}"/>')
        if w > 34:
            body.append(_text(x + w / 2, 17, f"{100 * item.value / total:.0f}%", anchor="middle",
                              fill="#fff", weight="bold"))
        x += w
    columns = 3
    for i, (item, fill) in enumerate(zip(slices, fills, strict=True)):
        lx, ly = (i % columns) * (width / columns), bar_h + 22 + (i // columns) * 18
        body.append(f'<rect x="{lx:.1f}" y="{ly - 10}" width="11" height="11" rx="2" '
                    f'fill="{fill}"/>')
        body.append(_text(lx + 16, ly, item.label, size=10))
    rows = math.ceil(len(slices) / columns)
    return _svg(width, bar_h + 14 + rows * 18, body, title)


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5 or 5 × a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def bars_and_line(
    labels: Sequence[str], bars: Sequence[float], line: Sequence[float], brand: str,
    title: str, bar_label: str, line_label: str,
) -> SafeString:
    """Monthly bars (left axis) and a line (right axis), e.g. subscribers and leads by month."""
    width, height, left, right, top, bottom = 640, 240, 48, 48, 26, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    bar_max, line_max = _nice_max(max(bars, default=0)), _nice_max(max(line, default=0))
    step = plot_w / max(len(labels), 1)
    line_colour = "#f59e0b" if brand.lower() != "#f59e0b" else "#10b981"
    body: list[str] = []
    for tick in range(5):
        y = top + plot_h - plot_h * tick / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                    f'stroke="#e5e7eb" stroke-width="1"/>')
        body.append(_text(left - 6, y + 4, _short(bar_max * tick / 4), size=9, anchor="end"))
        body.append(_text(width - right + 6, y + 4, _short(line_max * tick / 4), size=9,
                          fill=line_colour))
    points = []
    for i, label in enumerate(labels):
        x = left + i * step
        h = plot_h * (bars[i] / bar_max) if i < len(bars) else 0
        body.append(f'<rect x="{x + step * 0.18:.1f}" y="{top + plot_h - h:.1f}" '
                    f'width="{step * 0.64:.1f}" height="{h:.1f}" rx="2" fill="{brand}"/>')
        body.append(_text(x + step / 2, height - bottom + 15, label, size=9, anchor="middle"))
        if i < len(line):
            points.append((x + step / 2, top + plot_h - plot_h * line[i] / line_max))
    if points:
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline points="{coords}" fill="none" stroke="{line_colour}" '
                    f'stroke-width="2.5"/>')
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{line_colour}"/>'
                 for x, y in points]
    body.append(f'<rect x="{left}" y="4" width="11" height="11" fill="{brand}"/>')
    body.append(_text(left + 16, 14, bar_label, size=10))
    body.append(f'<rect x="{left + 230}" y="8" width="14" height="3" fill="{line_colour}"/>')
    body.append(_text(left + 250, 14, line_label, size=10))
    return _svg(width, height, body, title)


def pyramid(levels: Sequence[tuple[str, str]], brand: str, title: str) -> SafeString:
    """The funnel as a pyramid, widest level on top; widths are by rank, not to scale (the
    levels differ by orders of magnitude), and each level carries its count."""
    width, level_h, gap = 640, 34, 4
    count = len(levels)
    fills = colours(brand, count)
    body: list[str] = []
    for i, (label, value) in enumerate(levels):
        # Narrowing to 45% at the bottom leaves room for the label inside the last level.
        top_w = width * (1 - 0.55 * i / count)
        bottom_w = width * (1 - 0.55 * (i + 1) / count)
        y = i * (level_h + gap)
        x0, x1 = (width - top_w) / 2, (width + top_w) / 2
        x2, x3 = (width + bottom_w) / 2, (width - bottom_w) / 2
        body.append(f'<polygon points="{x0:.1f},{y} {x1:.1f},{y} {x2:.1f},{y + level_h} '
                    f'{x3:.1f},{y + level_h}" fill="{fills[i]}"/>')
        body.append(_text(width / 2, y + 22, f"{label}: {value}", size=12, anchor="middle",
                          fill="#fff", weight="bold"))
    return _svg(width, count * (level_h + gap), body, title)


def _short(value: float) -> str:
    """Axis labels: 1500 → 1.5k, 2000000 → 2M (language-neutral)."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"
