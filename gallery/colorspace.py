"""The colour vocabulary and colour arithmetic, shared by analysis and search.

Kept free of the analyzer's libraries so that pages and selectors can use it
without loading any model.
"""

from __future__ import annotations

import re

# Azure Computer Vision's colour names: every backend reports colours in these
# words, and the gallery's colour filter offers them.
COLOR_NAMES = (
    "black",
    "blue",
    "brown",
    "gray",
    "green",
    "orange",
    "pink",
    "purple",
    "red",
    "teal",
    "white",
    "yellow",
)

HEX_COLOR = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")


def parse_hex(text: str) -> tuple[int, int, int] | None:
    """(r, g, b) for '#rrggbb', 'rrggbb' or '#rgb'; None for anything else."""
    match = HEX_COLOR.match(text.strip())
    if match is None:
        return None
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def normalize_color(text: str) -> str | None:
    """A colour name, or '#rrggbb' in lower case; None when ``text`` is neither."""
    text = text.strip().lower()
    if text in COLOR_NAMES:
        return text
    rgb = parse_hex(text)
    if rgb is None:
        return None
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def is_hex_color(color: str) -> bool:
    """True for a normalised '#rrggbb' (see normalize_color)."""
    return color.startswith("#")


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _f(t: float) -> float:
    return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29


def rgb_to_lab(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    """sRGB (D65) to CIELAB."""
    r, g, b = (_linear(c) for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    fx, fy, fz = _f(x), _f(y), _f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)
