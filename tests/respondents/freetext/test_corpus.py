"""The labelled corpus (corpus/README.md): the scrubber's recall per kind, and how often it
changes an ordinary answer. The same figures are printed by bench/scrub_corpus.py and
recorded in docs/free-text.md."""

from __future__ import annotations

from tests.respondents.freetext.corpus import evaluate, load


def test_the_corpus_is_large_and_varied():
    answers = load()
    kinds = {kind for a in answers for kind, _, _ in a.labels}

    assert len(answers) >= 300
    assert kinds == {"name", "address", "contact", "figure"}
    assert sum(a.ordinary for a in answers) >= 100
    assert any(a.source == "mixed" for a in answers)


def test_recall_on_the_corpus_meets_the_targets():
    score = evaluate(load())
    detail = "\n".join(score.misses + score.false_hits)

    assert score.recall("name") >= 0.95, detail
    assert score.recall("address") >= 0.90, detail
    assert score.recall("contact") >= 0.98, detail
    assert score.changed_share <= 0.02, detail
    assert score.recall("figure") == 1.0, detail
