"""A small SVG writer for the report's charts: scales, ticks, shapes and text, nothing fetched.

Charts are plain inline SVG elements (no ``xmlns`` attribute is needed inside HTML; the browser's
serialiser adds it when a chart is exported). Every number is rounded to two decimals so the files
stay small and stable.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["TIER_COLOURS", "TIER_FILLS", "Chart", "Scale", "date_number", "decade_label"]

TIER_COLOURS = {"open": "#2e7d32", "staged": "#e6a100", "restricted": "#c62828"}
"""Marks and bars: green, amber, red."""
TIER_FILLS = {"open": "#d7ecd8", "staged": "#fbe8b4", "restricted": "#f5cfcf"}
"""Region backgrounds: the same hues, light."""
_EPOCH = dt.date(1970, 1, 1)


def _n(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def date_number(day: dt.date) -> float:
    """A date as a number of days, for date scales."""
    return float((day - _EPOCH).days)


def decade_label(exponent: int) -> str:
    """``1e25`` style label for a power of ten."""
    return f"1e{exponent}"


@dataclass(frozen=True)
class Scale:
    """Maps data values to pixels, linearly or on a log10 scale."""

    low: float
    high: float
    start: float
    end: float
    log: bool = False

    def __call__(self, value: float) -> float:
        """The pixel position of ``value`` (values outside the domain map outside the range)."""
        if self.log:
            a, b, v = math.log10(self.low), math.log10(self.high), math.log10(max(value, 1e-300))
        else:
            a, b, v = self.low, self.high, value
        if b == a:
            return (self.start + self.end) / 2
        return self.start + (v - a) / (b - a) * (self.end - self.start)

    def ticks(self, target: int = 6) -> list[tuple[float, str]]:
        """Tick positions and labels: decades on a log scale, round steps on a linear one."""
        if self.log:
            first, last = math.ceil(math.log10(self.low) - 1e-9), math.floor(math.log10(self.high) + 1e-9)
            exponents = list(range(first, last + 1))
            stride = max(1, math.ceil(len(exponents) / max(1, target + 3)))
            return [(10.0**e, decade_label(e)) for e in exponents[::stride]]
        span = self.high - self.low
        if span <= 0:
            return [(self.low, f"{self.low:g}")]
        raw = span / max(1, target)
        magnitude = 10 ** math.floor(math.log10(raw))
        step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
        first = math.ceil(self.low / step - 1e-9) * step
        out = []
        value = first
        while value <= self.high + step * 1e-9:
            out.append((value, f"{value:.10g}"))
            value += step
        return out

    def year_ticks(self) -> list[tuple[float, str]]:
        """For a date scale (days since 1970): 1 January of each year in the domain."""
        start = _EPOCH + dt.timedelta(days=math.ceil(self.low))
        end = _EPOCH + dt.timedelta(days=math.floor(self.high))
        years = list(range(start.year + (0 if (start.month, start.day) == (1, 1) else 1), end.year + 1))
        stride = max(1, math.ceil(len(years) / 12))
        return [(date_number(dt.date(y, 1, 1)), str(y)) for y in years[::stride]]


class Chart:
    """One SVG chart, built element by element."""

    def __init__(self, width: float, height: float, title: str, description: str) -> None:
        self.width = width
        self.height = height
        self.title = title
        self.description = description
        self._parts: list[str] = []

    def add(self, markup: str) -> None:
        """Append raw SVG markup (already escaped)."""
        self._parts.append(markup)

    def rect(
        self, x: float, y: float, w: float, h: float, fill: str, *, title: str | None = None, **attrs: str
    ) -> None:
        """A rectangle; ``title`` becomes its hover text."""
        extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
        body = f"<title>{escape(title)}</title>" if title else ""
        tag = f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0))}" height="{_n(max(h, 0))}" fill="{fill}"{extra}'
        self._parts.append(f"{tag}>{body}</rect>" if body else f"{tag}/>")

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str, width: float = 1, dash: str = "") -> None:
        """A straight line."""
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        self._parts.append(
            f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}" '
            f'stroke-width="{_n(width)}"{dashed}/>'
        )

    def polyline(self, points: Iterable[tuple[float, float]], stroke: str, width: float = 2, dash: str = "") -> None:
        """A connected line through ``points``."""
        coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        self._parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{stroke}" stroke-width="{_n(width)}" '
            f'stroke-linejoin="round"{dashed}/>'
        )

    def polygon(self, points: Sequence[tuple[float, float]], fill: str, opacity: float = 1.0) -> None:
        """A filled polygon."""
        coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self._parts.append(f'<polygon points="{coords}" fill="{fill}" fill-opacity="{_n(opacity)}"/>')

    def circle(
        self, x: float, y: float, r: float, fill: str, *, title: str | None = None, stroke: str = "#fff"
    ) -> None:
        """A dot with an optional hover text."""
        body = f"<title>{escape(title)}</title>" if title else ""
        self._parts.append(
            f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" fill="{fill}" stroke="{stroke}" stroke-width="0.8">'
            f"{body}</circle>"
        )

    def text(
        self,
        x: float,
        y: float,
        content: str,
        *,
        size: float = 11,
        anchor: str = "start",
        weight: str = "normal",
        fill: str = "#222",
        rotate: float | None = None,
    ) -> None:
        """A text label (escaped)."""
        turn = f' transform="rotate({_n(rotate)} {_n(x)} {_n(y)})"' if rotate is not None else ""
        self._parts.append(
            f'<text x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" text-anchor="{anchor}" font-weight="{weight}" '
            f'fill="{fill}"{turn}>{escape(content)}</text>'
        )

    def axis_x(self, scale: Scale, y: float, label: str, ticks: list[tuple[float, str]] | None = None) -> None:
        """A horizontal axis at ``y`` with ticks and a label below."""
        self.line(scale.start, y, scale.end, y, "#444")
        for value, text in ticks if ticks is not None else scale.ticks():
            x = scale(value)
            self.line(x, y, x, y + 4, "#444")
            self.text(x, y + 16, text, anchor="middle", size=10)
        self.text((scale.start + scale.end) / 2, y + 32, label, anchor="middle", size=11)

    def axis_y(self, scale: Scale, x: float, label: str, ticks: list[tuple[float, str]] | None = None) -> None:
        """A vertical axis at ``x`` with ticks and a rotated label."""
        self.line(x, scale.start, x, scale.end, "#444")
        for value, text in ticks if ticks is not None else scale.ticks():
            y = scale(value)
            self.line(x - 4, y, x, y, "#444")
            self.text(x - 6, y + 3.5, text, anchor="end", size=10)
        middle = (scale.start + scale.end) / 2
        self.text(x - 48, middle, label, anchor="middle", size=11, rotate=-90)

    def grid_y(self, scale: Scale, x0: float, x1: float) -> None:
        """Light horizontal grid lines at the ticks."""
        for value, _ in scale.ticks():
            y = scale(value)
            self.line(x0, y, x1, y, "#e3e3e3")

    def legend(self, x: float, y: float, items: Sequence[tuple[str, str]], *, dash: Sequence[str] = ()) -> None:
        """A row of coloured keys with labels."""
        cursor = x
        for index, (colour, label) in enumerate(items):
            style = dash[index] if index < len(dash) else ""
            if style == "band":
                self.rect(cursor, y - 7, 18, 10, colour, opacity="0.35")
            elif style == "dot":
                self.circle(cursor + 9, y - 2, 4, colour)
            else:
                self.line(cursor, y - 2, cursor + 18, y - 2, colour, 3, style)
            self.text(cursor + 22, y + 2, label, size=10)
            cursor += 30 + 6.2 * len(label)

    def render(self, ident: str) -> str:
        """The SVG element, with a title and description for screen readers."""
        return (
            f'<svg id="{escape(ident)}" class="chart-svg" viewBox="0 0 {_n(self.width)} {_n(self.height)}" '
            f'width="{_n(self.width)}" height="{_n(self.height)}" role="img" aria-labelledby="{escape(ident)}-t" '
            f'font-family="Helvetica, Arial, sans-serif">'
            f'<title id="{escape(ident)}-t">{escape(self.title)}</title><desc>{escape(self.description)}</desc>'
            f'<rect x="0" y="0" width="{_n(self.width)}" height="{_n(self.height)}" fill="#fff"/>'
            + "".join(self._parts)
            + "</svg>"
        )
