"""Small pieces of markup the templates share: stage badges, criteria trees, query strings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from accord.web.presenters import StageLabel, stage_label

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
