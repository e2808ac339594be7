"""A page's question blocks are rendered once per content and language and reused, and
never kept when they hold something of the respondent's (respondents/block_html.py)."""

from __future__ import annotations

import pytest
from django.utils import translation

from respondents.block_html import _cached, block_html
from respondents.forms import Block, build_page_view
from respondents.services.form_schema import load_form
from tests.builders import build_version, make_study
from tests.respondents.form_helpers import make_wave

pytestmark = pytest.mark.django_db


def _about_blocks(
    raw: dict[str, list[str]] | None = None, errors: dict[str, str] | None = None
) -> tuple[Block, ...]:
    schema = load_form(make_wave().version)
    page = schema.page("about")
    assert page is not None
    view = build_page_view(
        schema, page, raw=raw or {}, answers={}, errors=errors or {}, language="en"
    )
    return view.blocks


def test_a_block_with_nothing_typed_is_rendered_once_and_reused():
    # given the first page's blocks with nothing typed
    blocks = _about_blocks()
    _cached.cache_clear()

    # when the same blocks are shown twice
    with translation.override("en"):
        first = [block_html(block) for block in blocks]
        again = [block_html(block) for block in blocks]

    # then the second showing is the first's HTML, taken from the cache
    assert all(block.is_reusable for block in blocks)
    assert first == again
    assert _cached.cache_info().hits == len(blocks)
    assert 'name="age"' in first[0]
    assert "Your age" in first[0]


def test_the_cached_block_is_the_language_it_is_shown_in():
    # given the same block shown in English, then in Russian (the template's own
    # "Required" mark translated, the label from the version)
    blocks = _about_blocks()
    _cached.cache_clear()

    with translation.override("en"):
        english = block_html(blocks[0])
    with translation.override("ru"):
        russian = block_html(blocks[0])

    # then each is its own entry, with its language's texts
    assert 'title="Required"' in english
    assert 'title="Required"' not in russian
    assert _cached.cache_info().currsize == 2


@pytest.mark.parametrize(
    ("raw", "errors"),
    [
        ({"age": ["34"]}, {}),
        ({"country": ["other"], "country_other": ["Serbia"]}, {}),
        ({}, {"age": "Age must be between 18 and 110."}),
    ],
    ids=["typed answer", "typed other", "message"],
)
def test_a_block_holding_the_respondents_words_is_never_cached(raw, errors):
    # given a page where the respondent typed something, or was told something
    blocks = _about_blocks(raw=raw, errors=errors)
    _cached.cache_clear()

    # when its blocks are shown
    with translation.override("en"):
        html = "".join(block_html(block) for block in blocks)

    # then what they typed is on the page, and the blocks holding it were not kept
    personal = [block for block in blocks if not block.is_reusable]
    assert personal
    assert _cached.cache_info().currsize == len(blocks) - len(personal)
    for values in raw.values():
        assert values[0] in html


def test_a_page_piping_an_answer_into_a_label_is_never_cached():
    # given a page whose question label pipes in an earlier answer
    pages = [
        {
            "name": "one",
            "questions": [{"name": "pet", "type": "text", "labels": {"en": "Your pet"}}],
        },
        {
            "name": "two",
            "questions": [
                {"name": "pet_age", "type": "integer", "labels": {"en": "How old is ${pet}?"}}
            ],
        },
    ]
    version = build_version(make_study(languages=("en",)), pages)
    schema = load_form(version)
    page = schema.page("two")
    assert page is not None
    _cached.cache_clear()

    # when it is shown to a respondent who named their pet
    view = build_page_view(
        schema, page, raw={}, answers={"pet": "Barsik"}, errors={}, language="en"
    )
    with translation.override("en"):
        html = block_html(view.blocks[0])

    # then the answer is in the label, and nothing was kept
    assert page.pipes_answers
    assert "How old is Barsik?" in html
    assert not view.blocks[0].is_reusable
    assert _cached.cache_info().currsize == 0


def test_a_heading_element_other_than_h2_or_h3_is_refused():
    blocks = _about_blocks()
    with pytest.raises(ValueError, match="not 'script'"):
        block_html(blocks[0], "script")
