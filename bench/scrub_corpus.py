"""Free-text scrubber: recall on the labelled corpus, and answers scrubbed per second.

Prints one JSON line:
- recall per kind (names, addresses, contacts), public figures kept, ordinary answers
  changed, on the whole corpus (tests/respondents/freetext/corpus/) and on its held-out file
  (written after the scrubber was tuned on the rest);
- throughput: ANSWERS answers (two corpus answers joined, shuffled) scrubbed by one process
  and by two worker processes (as two Celery worker processes on 2 cores would), after each
  worker has loaded the dictionary (a worker loads it once).

Run: .venv/bin/python bench/scrub_corpus.py [--answers N]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from respondents.freetext.scrub import VERSION, scrub  # noqa: E402
from tests.respondents.freetext.corpus import Score, evaluate, load  # noqa: E402

TARGETS = {"name": 0.95, "address": 0.90, "contact": 0.98, "ordinary_changed": 0.02}


def _figures(score: Score) -> dict[str, object]:
    return {
        "names": round(score.recall("name"), 4),
        "addresses": round(score.recall("address"), 4),
        "contacts": round(score.recall("contact"), 4),
        "figures_kept": round(score.recall("figure"), 4),
        "ordinary_changed": round(score.changed_share, 4),
        "counts": {k: f"{score.found[k]}/{score.total[k]}" for k in sorted(score.total)},
        "ordinary": f"{score.ordinary_changed}/{score.ordinary} changed",
    }


def _warm(_: int) -> None:
    scrub("Меня зовут Иван Петров")


def _scrub_chunk(texts: list[str]) -> int:
    for text in texts:
        scrub(text)
    return len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=40_000)
    args = parser.parse_args()
    answers = load()
    whole = evaluate(answers)
    held_out = evaluate([a for a in answers if a.source == "heldout"])
    rng = random.Random(7)
    texts = [a.text for a in answers]
    batch = [f"{rng.choice(texts)} {rng.choice(texts)}" for _ in range(args.answers)]

    _warm(0)
    start = time.perf_counter()
    _scrub_chunk(batch[: args.answers // 4])
    one = (args.answers // 4) / (time.perf_counter() - start)

    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        pool.map(_warm, range(2))
        chunks = [batch[i : i + 500] for i in range(0, len(batch), 500)]
        start = time.perf_counter()
        done = sum(pool.map(_scrub_chunk, chunks))
        two = done / (time.perf_counter() - start)

    print(
        json.dumps(
            {
                "bench": "scrub_corpus",
                "scrubber_version": VERSION,
                "corpus_answers": len(answers),
                "corpus": _figures(whole),
                "held_out": _figures(held_out),
                "answers_per_s_1_process": round(one),
                "answers_per_s_2_processes": round(two),
                "targets": TARGETS | {"answers_per_s_2_cores": 1000},
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
