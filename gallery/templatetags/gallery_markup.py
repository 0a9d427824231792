"""The gallery's repeated markup, built in Python: the photo cards (also
the similar page's), the "jump to a month" options and the tag chips.

A page shows two dozen cards of about fifteen values each, up to a few
hundred months and fifteen chips; through the template engine (a variable
node, a lookup, localisation and escaping per value, an include per card)
that was most of the page's rendering time. Here each item is one formatted
string, every value escaped as the template would (``html.escape``, which
Django's own escaping uses).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from gallery.selectors import Card, MonthGroup

register = template.Library()

# A tile's width in app.css (.timeline): a third of the row on a phone, a
# sixth of the 1200 px container beside.
SIZES = (
    "(max-width: 760px) calc((100vw - 28px) / 3), "
    "(max-width: 1200px) calc((100vw - 52px) / 6), 192px"
)


@register.simple_tag
def card_tiles(
    cards: Sequence[Card], similarities: Sequence[float] | None = None
) -> SafeString:
    """The ``<li>`` of each card; with ``similarities`` (the similar page),
    each card's score instead of its selection box."""
    if similarities is None:
        return mark_safe("".join(card_tile(card) for card in cards))
    return mark_safe(
        "".join(
            card_tile(card, similarity)
            for card, similarity in zip(cards, similarities, strict=True)
        )
    )


def card_tile(card: Card, similarity: float | None = None) -> str:
    """One card: a link to the photo (its thumbnail, or "Preparing…"), the
    box that selects it, and its badge."""
    url, name = escape(card.url), escape(card.name)
    if card.awaits_thumbnail:
        link = (
            f'<a href="{url}" class="tile-link"> '
            '<span class="placeholder" data-pending>Preparing…</span> '
            f'<span class="visually-hidden">{name}</span> </a>'
        )
    else:
        srcset = (
            f' srcset="{escape(card.srcset)}" sizes="{SIZES}"' if card.srcset else ""
        )
        lazy = "" if card.eager else ' loading="lazy"'
        link = (
            f'<a href="{url}" class="tile-link" data-viewer-link'
            f' data-preview="{escape(card.preview)}"'
            f' data-width="{escape(card.preview_width)}"'
            f' data-height="{escape(card.preview_height)}"> '
            f'<img src="{escape(card.src)}"{srcset} alt="{escape(card.alt)}"{lazy}'
            f' width="{escape(card.width)}" height="{escape(card.height)}"> '
            '<span class="tile-caption" aria-hidden="true">'
            f'<span class="tile-name">{name}</span></span> </a>'
        )
    if similarity is not None:
        # As {% widthratio similarity 1 100 %} rounds it.
        tail = (
            f' <span class="badge tile-badge">{round(similarity * 100)}% alike</span>'
        )
    else:
        tail = (
            f' <label class="tile-select"> <input type="checkbox" name="ids"'
            f' value="{card.id}" data-select> '
            f'<span class="visually-hidden">Select {name}</span> </label>'
        )
        if card.analysing:
            tail += ' <span class="badge tile-badge" data-pending>Analysing…</span>'
    return f'<li class="tile" id="card-{card.id}" data-refresh> {link}{tail} </li>\n'


@register.simple_tag
def month_options(groups: Sequence[MonthGroup]) -> SafeString:
    """The ``<optgroup>`` of each year with its months' ``<option>``s."""
    return mark_safe(
        "".join(
            f'<optgroup label="{group.year}">'
            + "".join(
                f'<option value="{escape(month.value)}" '
                f"{'selected' if month.selected else ''}>"
                f"{escape(month.label)}</option>"
                for month in group.months
            )
            + "</optgroup>\n"
            for group in groups
        )
    )


@register.simple_tag
def tag_chips(chips: Sequence[tuple[str, int, str]], active: str) -> SafeString:
    """A link per (tag, count, query string) chip; ``active`` is the tag
    filtered on (its chip is marked current)."""
    items = []
    for tag, count, query in chips:
        chip, current = (
            ("chip chip-active", ' aria-current="true"')
            if (tag == active)
            else ("chip", "")
        )
        items.append(
            f'<li><a class="{chip}" href="?{escape(query)}"{current}>'
            f'{escape(tag)} <span class="chip-count">{count}</span></a></li>\n'
        )
    return mark_safe("".join(items))
