"""`{% page_block block %}`: a question block of a respondent page, through the rendered-HTML
cache of respondents/block_html.py (`{% page_block block "h3" %}` inside a roster entry)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from respondents.block_html import block_html
from respondents.forms import Block

register = template.Library()


@register.simple_tag
def page_block(block: Block, heading_tag: str = "h2") -> SafeString:
    return block_html(block, heading_tag)
