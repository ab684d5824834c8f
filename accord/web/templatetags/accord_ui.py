"""Small pieces of markup the templates share: stage badges, criteria trees, query strings."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from typing import Any

from django import template
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from accord.core import clock
from accord.web.presenters.common import StageLabel, stage_label

register = template.Library()


@register.simple_tag
def stage_badge(label: StageLabel | None) -> SafeString:
    if label is None:
        return format_html('<span class="badge badge--none">{}</span>', "No stage")
    return format_html('<span class="badge badge--{}">{}</span>', label.tone, label.name)


@register.filter
def stage_of(key: str, labels: Mapping[str, StageLabel]) -> StageLabel:
    """The label of a stage key, as `labels` (from the playbook) names it."""
    return stage_label(labels, key)


@register.filter
def shown(value: Any) -> str:
    """A fact's value as a person reads it."""
    if value is None or value == "":
        return "not set"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(shown(v) for v in value)
    return str(value)


def _node(node: Mapping[str, Any]) -> SafeString:
    ok = bool(node.get("ok"))
    mark = format_html(
        '<span class="check check--{}" aria-label="{}">{}</span>',
        "ok" if ok else "no", "met" if ok else "not met", "✓" if ok else "✗",
    )
    parts = node.get("parts")
    if parts:
        children = format_html_join("", "{}", ((_node(p),) for p in parts if isinstance(p, Mapping)))
        return format_html(
            '<li>{} <span class="criteria__op">{}</span><ul>{}</ul></li>', mark, node.get("text", ""), children
        )
    return format_html(
        '<li>{} <code>{}</code> <span class="muted">(is {})</span></li>',
        mark, node.get("text", ""), shown(node.get("actual")),
    )


@register.simple_tag
def criteria_tree(node: Any) -> SafeString:
    """The entry criteria as they were checked: a tree of {text, ok, actual | parts}."""
    if not isinstance(node, Mapping):
        return mark_safe("")
    return format_html('<ul class="criteria">{}</ul>', _node(node))


@register.simple_tag(takes_context=True)
def query(context: template.Context, **changes: Any) -> str:
    """The current query string with some parameters changed (None or '' removes one)."""
    request: HttpRequest | None = context.get("request")
    params = request.GET.copy() if request is not None else None
    if params is None:
        return ""
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


# Line icons on a 24-pixel grid, drawn with the current text colour.
ICONS: dict[str, str] = {
    "page": '<path d="M6 3h8l4 4v14H6z"/><path d="M14 3v4h4M9 12h6M9 16h6"/>',
    "form": '<rect x="5" y="4" width="14" height="17" rx="2"/><path d="M9 2h6v4H9zM9 11h6M9 15h4"/>',
    "mail": '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="m3 7 9 6 9-6"/>',
    "click": '<path d="M9 3v11l3-3 2.5 6 2-1-2.5-6H18z"/>',
    "video": '<rect x="3" y="6" width="13" height="12" rx="2"/><path d="m16 10 5-3v10l-5-3z"/>',
    "calendar": '<rect x="4" y="5" width="16" height="16" rx="2"/><path d="M4 10h16M9 3v4M15 3v4"/>',
    "user": '<circle cx="12" cy="8" r="4"/><path d="M4 21c1.5-4 4.5-6 8-6s6.5 2 8 6"/>',
    "bell": '<path d="M6 16v-5a6 6 0 0 1 12 0v5l2 2H4z"/><path d="M10 21a2 2 0 0 0 4 0"/>',
    "unsubscribe": '<circle cx="12" cy="12" r="9"/><path d="m9 9 6 6m0-6-6 6"/>',
    "stage": '<path d="M4 12h14m-6-6 6 6-6 6"/>',
    "back": '<path d="M20 12H6m6-6-6 6 6 6"/>',
    "bolt": '<path d="M13 3 5 14h6l-1 7 8-11h-6z"/>',
}


@register.simple_tag
def icon(name: str) -> SafeString:
    """An inline line icon; decorative, so hidden from screen readers (the text beside it says what it is)."""
    paths = ICONS.get(name, ICONS["bolt"])
    return format_html(
        '<svg class="icon" viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" '
        'stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">{}</svg>',
        mark_safe(paths),  # constant markup from ICONS above
    )


def ago_text(value: dt.datetime, now: dt.datetime) -> str:
    """How long ago, in one unit: "just now", "12 s ago", "5 min ago", "3 h ago", "2 days ago".
    accord.js keeps the same wording up to date on live pages."""
    seconds = int((now - value).total_seconds())
    if seconds < 1:
        return "just now"
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    days = seconds // 86400
    if days < 30:
        return f"{days} day{'s' if days != 1 else ''} ago"
    if days < 365:
        months = days // 30
        return f"{months} month{'s' if months != 1 else ''} ago"
    years = days // 365
    return f"{years} year{'s' if years != 1 else ''} ago"


@register.simple_tag
def when(value: dt.datetime | None) -> SafeString:
    """A moment as relative and absolute time: "3 h ago · 12 Mar 2025, 14:03"."""
    if value is None:
        return format_html('<span class="muted">{}</span>', "—")
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" title="{}"><span data-ago>{}</span> · {}</time>',
        value.isoformat(), date_format(local, "j M Y, H:i:s e"), ago_text(value, clock.now()),
        date_format(local, "j M Y, H:i"),
    )


@register.simple_tag
def options(choices: Any, selected: Any = None) -> SafeString:
    """A select's <option>s from (value, label) pairs, the one equal to `selected` chosen: one call
    per select rather than template nodes per option (queues render hundreds of selects)."""
    chosen = "" if selected is None else str(selected)
    parts = []
    for value, label in choices:
        text = str(value)
        mark = " selected" if text == chosen else ""
        parts.append(f'<option value="{html.escape(text)}"{mark}>{html.escape(str(label), quote=False)}</option>')
    return mark_safe("".join(parts))  # every value and label escaped above


@register.simple_tag
def sla_chip(chip: Any) -> SafeString:
    """One SLA clock (presenters.sla.Chip). A running one counts down in business time: the page's
    script reads its open spans. A tag rather than an included template: queues show one a row."""
    title = chip.label
    if chip.due:
        title += f" due {date_format(timezone.localtime(chip.due), 'D j M, H:i')}"
    if chip.calendar_version:
        title += f" (calendar v{chip.calendar_version})"
    counting = chip.state == "running" and chip.remaining_minutes > 0
    countdown = format_html(' data-countdown data-spans="{}"', chip.spans) if counting else ""
    touches = chip.kind == "touches"
    count = format_html(' <span class="sla__count">{}/{}</span>', chip.done, chip.required) if touches else ""
    return format_html(
        '<span class="sla sla--{}" data-sla-kind="{}"{} title="{}">'
        '<span class="sla__label">{}</span>{} <span class="sla__time" data-countdown-text>{}</span></span>',
        chip.level, chip.kind, countdown, title, chip.label, count, chip.text,
    )
