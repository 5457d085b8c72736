"""The drawing surfaces: ``Canvas`` (shapes in painting order) and ``Plot`` (a canvas with a value
axis and categories along x), with the palette and the chart font."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

from kosmmos.lib.charts.scales import Axis, short

FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
PALETTE = ("#0ea5e9", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#14b8a6", "#f97316",
           "#64748b", "#ec4899", "#84cc16")
INK = "#374151"
MUTED = "#6b7280"
FAINT = "#9ca3af"
GRID = "#e5e7eb"


def colours(brand: str, count: int) -> list[str]:
    """The agency's colour first, then the palette, so charts match the branding."""
    first = brand if _is_hex(brand) else PALETTE[0]
    sequence = [first, *(c for c in PALETTE if c.lower() != first.lower())]
    return [sequence[i % len(sequence)] for i in range(count)]


def _is_hex(value: str) -> bool:
    return len(value) == 7 and value.startswith("#") and all(
        c in "0123456789abcdefABCDEF" for c in value[1:]
    )


@dataclass(frozen=True)
class Key:
    """A legend entry: a square swatch, or a short bar for a line."""

    label: str
    colour: str
    line: bool = False


class Canvas:
    """An SVG being drawn: shapes are added in painting order, then ``svg`` closes it."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.body: list[str] = []

    def text(self, x: float, y: float, text: str, *, size: int = 11, anchor: str = "start",
             fill: str = INK, weight: str = "normal") -> None:
        self.body.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" '
                         f'text-anchor="{anchor}" fill="{fill}" font-weight="{weight}">'
                         f"{escape(text)}</text>")

    def rect(self, x: float, y: float, width: float, height: float, fill: str, *,
             rx: float = 0, tip: str = "", href: str = "") -> None:
        corner = f' rx="{rx:g}"' if rx else ""
        shape = (f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}"'
                 f'{corner} fill="{fill}"')
        shape += f"><title>{escape(tip)}</title></rect>" if tip else "/>"
        self.body.append(f'<a href="{escape(href)}">{shape}</a>' if href else shape)

    def dot(self, x: float, y: float, radius: float, fill: str, tip: str = "") -> None:
        shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:g}" fill="{fill}"'
        self.body.append(f"{shape}><title>{escape(tip)}</title></circle>" if tip else f"{shape}/>")

    def path(self, d: str, fill: str, *, stroke: str = "", stroke_width: float = 0) -> None:
        edge = f' stroke="{stroke}" stroke-width="{stroke_width:g}"' if stroke else ""
        self.body.append(f'<path d="{d}" fill="{fill}"{edge}/>')

    def polygon(self, points: Sequence[tuple[float, float]], fill: str) -> None:
        self.body.append(f'<polygon points="{_points(points)}" fill="{fill}"/>')

    def polyline(self, points: Sequence[tuple[float, float]], colour: str,
                 width: float = 2) -> None:
        self.body.append(f'<polyline points="{_points(points)}" fill="none" stroke="{colour}" '
                         f'stroke-width="{width:g}"/>')

    def hline(self, x1: float, x2: float, y: float, colour: str, *, width: float = 1,
              dashed: bool = False, opacity: float = 1.0) -> None:
        extra = (' stroke-dasharray="5 4"' if dashed else "") + (
            f' opacity="{opacity:g}"' if opacity < 1 else "")
        self.body.append(f'<line x1="{x1:.1f}" y1="{y:.1f}" x2="{x2:.1f}" y2="{y:.1f}" '
                         f'stroke="{colour}" stroke-width="{width:g}"{extra}/>')

    def legend(self, keys: Sequence[Key], x: float, y: float, *, size: int = 10) -> None:
        """Entries left to right on the baseline ``y``, each as wide as its label."""
        for key in keys:
            if key.line:
                self.rect(x, y - 6, 14, 3, key.colour)
            else:
                self.rect(x, y - 10, 11, 11, key.colour, rx=2)
            self.text(x + 18, y, key.label, size=size)
            x += 18 + 0.62 * size * len(key.label) + 22

    def svg(self, title: str, *, fill: bool = False) -> SafeString:
        """The finished chart; ``fill`` makes it grow to its box as well as shrink."""
        css = "chart chart-fill" if fill else "chart"
        return mark_safe(  # noqa: S308 -- every data string is escaped where it is added
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" '
            f'height="{self.height}" viewBox="0 0 {self.width} {self.height}" class="{css}" '
            f'role="img" aria-label="{escape(title)}" font-family="{FONT}">'
            f"<title>{escape(title)}</title>{''.join(self.body)}</svg>"
        )


class Plot(Canvas):
    """A canvas with a plot box inside margins (top, right, bottom, left), a value axis (and an
    optional second one on the right) and ``slots`` categories side by side along x."""

    def __init__(self, width: int, height: int, margins: tuple[int, int, int, int], axis: Axis,
                 *, slots: int = 1, right_axis: Axis | None = None) -> None:
        super().__init__(width, height)
        self.top, self.right, self.bottom, self.left = margins
        self.plot_w = width - self.left - self.right
        self.plot_h = height - self.top - self.bottom
        self.axis, self.right_axis = axis, right_axis
        self.step = self.plot_w / max(slots, 1)

    def y(self, value: float, *, right: bool = False) -> float:
        axis = self.right_axis if right and self.right_axis else self.axis
        return self.top + self.plot_h * (axis.high - value) / (axis.high - axis.low)

    def centre(self, slot: int) -> float:
        return self.left + self.step * (slot + 0.5)

    def grid(self, *, size: int = 9, fmt: Callable[[float], str] = short,
             label_fill: str = INK, right_fill: str = INK) -> None:
        """Gridlines at the left axis' ticks with their labels (and the right axis' labels on the
        same lines); the zero line is darker when the axis goes below zero."""
        for i, value in enumerate(self.axis.ticks):
            y = self.y(value)
            self.hline(self.left, self.width - self.right, y,
                       FAINT if value == 0 and self.axis.low < 0 else GRID)
            self.text(self.left - 6, y + 4, fmt(value), size=size, anchor="end", fill=label_fill)
            if self.right_axis:
                self.text(self.width - self.right + 6, y + 4, fmt(self.right_axis.ticks[i]),
                          size=size, fill=right_fill)

    def bars(self, values: Sequence[float | None], fill: str | Sequence[str], *,
             share: float = 0.64, most: float = math.inf, group: tuple[int, int] = (0, 1),
             min_height: float = 0, rx: float = 0, tips: Sequence[str] = (),
             links: Sequence[str] = ()) -> None:
        """A bar per slot from zero to its value (``None``: no bar). ``share`` of the slot wide (at
        most ``most`` px); ``group=(k, n)`` puts this series k-th of n bars side by side."""
        width = min(self.step * share, most)
        k, n = group
        gap = 2 if n > 1 else 0
        for i, value in enumerate(values):
            if value is None:
                continue
            height = abs(self.y(value) - self.y(0))
            if height <= 0 and not min_height:
                continue
            x = self.centre(i) - (n * width + (n - 1) * gap) / 2 + k * (width + gap)
            self.rect(x, min(self.y(value), self.y(0)), width, max(height, min_height),
                      fill if isinstance(fill, str) else fill[i], rx=rx,
                      tip=tips[i] if tips else "", href=links[i] if links else "")

    def stack(self, layers: Sequence[tuple[Sequence[float], str]], *, share: float = 0.7,
              tips: Sequence[str] = ()) -> None:
        """Bars of layers stacked from the bottom, one group (with its tooltip) per slot."""
        width = self.step * share
        for i in range(len(layers[0][0]) if layers else 0):
            self.body.append(f"<g><title>{escape(tips[i])}</title>" if tips else "<g>")
            y = self.y(0)
            for values, colour in layers:
                height = self.plot_h * values[i] / (self.axis.high - self.axis.low)
                if height > 0:
                    y -= height
                    self.rect(self.centre(i) - width / 2, y, width, height, colour)
            self.body.append("</g>")

    def line(self, values: Sequence[float | None], colour: str, *, right: bool = False,
             width: float = 2, radius: float = 3.5, dots: Sequence[str] = (),
             tips: Sequence[str] = ()) -> None:
        """A point per slot joined by a line; ``None`` leaves a gap. ``dots`` colours each point
        (the line's colour otherwise)."""
        runs: list[list[tuple[float, float]]] = [[]]
        points = []
        for i, value in enumerate(values):
            if value is None:
                runs.append([])
                continue
            point = (self.centre(i), self.y(value, right=right))
            runs[-1].append(point)
            points.append((i, point))
        for run in runs:
            if len(run) > 1:
                self.polyline(run, colour, width)
        for i, (x, y) in points:
            self.dot(x, y, radius, dots[i] if dots else colour, tips[i] if tips else "")

    def rule(self, value: float, colour: str, *, width: float = 1, opacity: float = 1.0) -> float:
        """A dashed line across the plot at ``value`` (a target, an average); returns its y."""
        y = self.y(value)
        self.hline(self.left, self.width - self.right, y, colour, width=width, dashed=True,
                   opacity=opacity)
        return y

    def x_labels(self, labels: Sequence[str], *, size: int = 9, below: float = 15) -> None:
        """Category labels under the slots (blank ones are skipped)."""
        for i, label in enumerate(labels):
            if label:
                self.text(self.centre(i), self.height - self.bottom + below, label, size=size,
                          anchor="middle")

    def note(self, text: str) -> None:
        """A message in the middle of an empty plot."""
        self.text(self.left + self.plot_w / 2, self.top + self.plot_h / 2, text, size=12,
                  anchor="middle", fill=MUTED)


def _points(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
