"""Colours of an image in Azure Computer Vision's vocabulary, with Pillow + numpy.

``image_colors(img)`` gives the same fields Azure's "Color" feature returns:
dominant foreground (the colour of the detected subject, else the centre of
the picture), dominant background (its border), up to three dominant colours
overall (the subject's always among them), an accent colour (the most
saturated colour that covers a visible part of the image) and whether the image
is black and white.

A subject's colour is what stands out inside its box: each colour name counts
by how vivid its pixels are and by how rare it is on the picture's border, so a
red motorcycle in a grey and brown garage is red, not the garage's grey.

``color_name(rgb)`` maps one colour to the nearest of the twelve names, with
the same rules, so search can name a ``#hex`` query the way images were named.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from ...colorspace import COLOR_NAMES
from ..base import Colors

# Work on a small copy: colour statistics do not need more pixels.
SAMPLE_SIZE = 64
# An image whose pixels are (almost) all grey is black and white. Chroma is
# max(R,G,B) - min(R,G,B) on a 0..255 scale; JPEG noise stays well below this.
BW_CHROMA_P95 = 24
# ...and hardly any pixel is clearly coloured: a deep-sky photo is mostly
# black, but its few galaxies are vivid.
BW_VIVID_CHROMA = 40
BW_MAX_VIVID_SHARE = 0.003
# A subject box whose pixels average less chroma than this is grey/black/white:
# its pixels then count alike, not by vividness.
SUBJECT_MIN_CHROMA = 0.08
MIN_DOMINANT_SHARE = 0.10
MIN_ACCENT_SHARE = 0.02

_IDX = {name: i for i, name in enumerate(COLOR_NAMES)}


def _name_indices(rgb: np.ndarray) -> np.ndarray:
    """Index into COLOR_NAMES for each RGB row of an (N, 3) uint8 array."""
    c = rgb.astype(np.float32) / 255.0
    r, g, b = c[:, 0], c[:, 1], c[:, 2]
    v = c.max(axis=1)
    mn = c.min(axis=1)
    chroma = v - mn
    s = np.where(v > 0, chroma / np.maximum(v, 1e-6), 0.0)
    # Hue in degrees, 0..360.
    safe = np.maximum(chroma, 1e-6)
    h = np.select(
        [v == r, v == g],
        [((g - b) / safe) % 6.0, (b - r) / safe + 2.0],
        (r - g) / safe + 4.0,
    )
    h = h * 60.0

    out = np.full(len(c), _IDX["gray"], dtype=np.int8)
    # Hue families first; darkness and greyness override them below.
    out[(h < 12) | (h >= 340)] = _IDX["red"]
    out[(h >= 12) & (h < 42)] = _IDX["orange"]
    out[(h >= 42) & (h < 70)] = _IDX["yellow"]
    out[(h >= 70) & (h < 165)] = _IDX["green"]
    out[(h >= 165) & (h < 195)] = _IDX["teal"]
    out[(h >= 195) & (h < 255)] = _IDX["blue"]
    out[(h >= 255) & (h < 290)] = _IDX["purple"]
    out[(h >= 290) & (h < 340)] = _IDX["pink"]
    # Light, soft reds are pink; dark magentas are purple.
    out[((h < 12) | (h >= 340)) & (s < 0.5) & (v > 0.75)] = _IDX["pink"]
    out[(h >= 290) & (h < 340) & (v < 0.6)] = _IDX["purple"]
    # Dark oranges/yellows and dull dark reds are brown.
    warm = (h >= 12) & (h < 70)
    out[warm & (v < 0.6)] = _IDX["brown"]
    reds = (h < 12) | (h >= 340)
    out[reds & (((v < 0.7) & (s < 0.8)) | ((v < 0.8) & (s < 0.4)))] = _IDX["brown"]
    # Greys: little chroma, then by brightness.
    grey = (
        (chroma < 0.1) | ((s < 0.25) & (chroma < 0.16)) | ((v < 0.35) & (chroma < 0.14))
    )
    out[grey] = _IDX["gray"]
    out[grey & (v >= 0.85)] = _IDX["white"]
    out[(v < 0.18) | (grey & (v < 0.25))] = _IDX["black"]
    return out


def color_name(rgb: tuple[int, int, int] | str) -> str:
    """The Azure colour name nearest to an RGB triple or a ``#rrggbb`` string."""
    if isinstance(rgb, str):
        text = rgb.lstrip("#")
        if len(text) == 3:
            text = "".join(ch * 2 for ch in text)
        if len(text) != 6:
            raise ValueError(f"not a hex colour: {rgb!r}")
        rgb = (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))
    arr = np.asarray([rgb], dtype=np.int64)
    if arr.shape != (1, 3) or arr.min() < 0 or arr.max() > 255:
        raise ValueError(f"not an RGB colour: {rgb!r}")
    return COLOR_NAMES[int(_name_indices(arr.astype(np.uint8))[0])]


@dataclass(frozen=True)
class ColorStats:
    colors: Colors
    # Share of the picture (0..1) per colour name, largest first.
    shares: dict[str, float]


def _sample(img: Image.Image) -> np.ndarray:
    small = img if img.mode == "RGB" else img.convert("RGB")
    w, h = small.size
    scale = SAMPLE_SIZE / max(w, h)
    if scale < 1:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = small.resize(size, Image.Resampling.BOX)
    return np.asarray(small, dtype=np.uint8)


def _mode(names: np.ndarray) -> str:
    counts = np.bincount(names.ravel().astype(np.int64), minlength=len(COLOR_NAMES))
    return COLOR_NAMES[int(counts.argmax())]


def _accent(arr: np.ndarray, is_bw: bool) -> str:
    img = Image.fromarray(arr)
    q = img.quantize(colors=16, method=Image.Quantize.MEDIANCUT)
    palette = np.asarray(q.getpalette() or [], dtype=np.float32)[: 16 * 3]
    palette = palette.reshape(-1, 3)
    counts = np.bincount(np.asarray(q).ravel(), minlength=16)[: len(palette)]
    share = counts / max(1, counts.sum())
    v = palette.max(axis=1) / 255.0
    s = np.where(
        v > 0,
        (palette.max(axis=1) - palette.min(axis=1)) / 255.0 / np.maximum(v, 1e-6),
        0,
    )
    if is_bw:
        score = share  # no colour to speak of: the most common grey
    else:
        # Vivid beats common, but a speck of colour is not an accent.
        score = np.where(
            share >= MIN_ACCENT_SHARE, s * (0.3 + v) * np.sqrt(share), -1.0
        )
    best = palette[int(np.argmax(score))].round().astype(int)
    return "#{:02x}{:02x}{:02x}".format(*best)


Box = tuple[float, float, float, float]  # x1, y1, x2, y2 as fractions of the picture


def _subject_color(
    arr: np.ndarray, names: np.ndarray, border: np.ndarray, box: Box
) -> str | None:
    h, w = names.shape
    x1, x2 = (min(w, max(0, round(v * w))) for v in (box[0], box[2]))
    y1, y2 = (min(h, max(0, round(v * h))) for v in (box[1], box[3]))
    if x2 <= x1 or y2 <= y1:
        return None
    inside = names[y1:y2, x1:x2].ravel().astype(np.int64)
    px = arr[y1:y2, x1:x2].reshape(-1, 3).astype(np.float32) / 255.0
    chroma = px.max(axis=1) - px.min(axis=1)
    if chroma.mean() < SUBJECT_MIN_CHROMA:
        chroma = np.ones_like(chroma)  # a grey subject: every pixel counts
    n = len(COLOR_NAMES)
    vivid = np.bincount(inside, weights=chroma, minlength=n)
    on_border = np.bincount(border.astype(np.int64), minlength=n) / max(1, border.size)
    return COLOR_NAMES[int(np.argmax(vivid * (1.0 - on_border)))]


def color_stats(img: Image.Image, subjects: list[Box] | tuple = ()) -> ColorStats:
    """Azure-style colours plus the share each colour name covers.

    ``subjects`` are the boxes of what the picture is of, main subject first.
    """
    arr = _sample(img)
    h, w = arr.shape[:2]
    names = _name_indices(arr.reshape(-1, 3)).reshape(h, w)

    # Foreground: the central half of each side; background: the outer eighth.
    cy0, cy1, cx0, cx1 = h // 4, h - h // 4, w // 4, w - w // 4
    centre = names[cy0:cy1, cx0:cx1] if cy1 > cy0 and cx1 > cx0 else names
    by, bx = max(1, h // 8), max(1, w // 8)
    border_mask = np.zeros((h, w), dtype=bool)
    border_mask[:by, :] = border_mask[-by:, :] = True
    border_mask[:, :bx] = border_mask[:, -bx:] = True
    border = names[border_mask]

    counts = np.bincount(names.ravel().astype(np.int64), minlength=len(COLOR_NAMES))
    total = counts.sum()
    order = np.argsort(-counts, kind="stable")
    shares = {COLOR_NAMES[i]: counts[i] / total for i in order if counts[i]}
    dominant = [n for n, sh in shares.items() if sh >= MIN_DOMINANT_SHARE][:3]
    if not dominant:
        dominant = [next(iter(shares))]
    foreground = _mode(centre)
    if subjects:
        foreground = _subject_color(arr, names, border, subjects[0]) or foreground
        if foreground not in dominant:
            dominant = [*dominant[:2], foreground]

    chroma = arr.max(axis=2).astype(np.int16) - arr.min(axis=2)
    is_bw = bool(
        np.percentile(chroma, 95) < BW_CHROMA_P95
        and np.mean(chroma > BW_VIVID_CHROMA) < BW_MAX_VIVID_SHARE
    )

    colors = Colors(
        dominant_foreground=foreground,
        dominant_background=_mode(border),
        dominant_colors=dominant,
        accent_color=_accent(arr, is_bw),
        is_bw=is_bw,
    )
    return ColorStats(colors=colors, shares={k: float(v) for k, v in shares.items()})


def image_colors(img: Image.Image) -> Colors:
    """Azure-compatible colours of ``img`` (any mode; alpha is ignored)."""
    return color_stats(img).colors
