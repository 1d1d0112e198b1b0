"""The LLM-free agent on a toy video it never saw, scored against the generator's truth."""

from __future__ import annotations

import pytest

from videoscout.toy.agent_eval import MULTI_STEP_KINDS, run, summarize
from videoscout.toy.train import TRAIN_SEEDS

SEED = 21
assert SEED not in TRAIN_SEEDS


@pytest.mark.slow
def test_llm_free_agent_answers_multi_step_questions_with_supported_citations(tmp_path):
    records = run(seed=SEED, seconds=180, per_kind=4, folder=tmp_path)
    summary = summarize(records)
    assert {r["kind"] for r in records} >= set(MULTI_STEP_KINDS) - {"before"}
    assert summary["unsupported"] == 0
    # Measured 1.00 overall and multi-step on this video (50 questions) with the toy CoCa
    # trained on 64 videos; 0.80 with the one trained on 16, which misread small shapes on
    # videos it never saw. Eight 10-minute videos score 0.98-1.00 (the closing note of issue 11).
    assert summary["overall"]["accuracy"] >= 0.9, summary
    assert summary["multi_step"]["accuracy"] >= 0.9, summary
    assert summary["median"]["frames_inspected"] <= 8
    absent = [r for r in records if r["kind"] == "absent"]
    assert absent and all(r["correct"] for r in absent)  # "not found" is an honest answer
