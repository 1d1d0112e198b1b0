"""Caption metrics against independent implementations: pycocoevalcap (COCO's own BLEU/ROUGE/
CIDEr code, no Java needed for these) and sacrebleu's definitions; never our own output."""

from __future__ import annotations

import numpy as np
import pytest
from pycocoevalcap.cider.cider import Cider
from pycocoevalcap.rouge.rouge import Rouge

from videoscout.errors import UsageError
from videoscout.metrics import cider_d, clip_scores, corpus_scores, normalise, rouge_l

from fakes import ColourEmbedder
from synthetic import COLOURS

CANDIDATES = [
    "a man riding a wave on top of a surfboard",
    "a plate of food with broccoli and rice",
    "two dogs play in the snow",
    "a red bus parked on the side of a street",
]
REFERENCES = [
    ["a surfer rides a large wave in the ocean", "a man riding a wave on a surfboard"],
    ["a plate with rice broccoli and meat", "a white plate topped with food", "food on a plate"],
    ["two dogs playing in the snow together"],
    ["a red double decker bus on a street", "a bus parked next to a sidewalk", "a red bus"],
]


def coco(candidates, references):
    gts = {i: list(refs) for i, refs in enumerate(references)}
    res = {i: [c] for i, c in enumerate(candidates)}
    return gts, res


def test_identical_text_scores_perfectly():
    scores = corpus_scores(["a red circle on the beach"], [["a red circle on the beach"]])
    assert scores["BLEU"]["score"] == pytest.approx(100.0)
    assert scores["chrF"]["score"] == pytest.approx(100.0)
    assert scores["TER"]["score"] == pytest.approx(0.0)
    assert scores["BLEU"]["signature"].startswith("nrefs:1|case:mixed|eff:no|tok:13a")


def test_bleu_matches_sacrebleu_with_a_variable_number_of_references():
    from sacrebleu.metrics import BLEU

    padded = [[refs[i] if i < len(refs) else None for refs in REFERENCES] for i in range(3)]
    expected = BLEU().corpus_score(CANDIDATES, padded).score
    scores = corpus_scores(CANDIDATES, REFERENCES)
    assert scores["BLEU"]["score"] == pytest.approx(expected)
    assert "nrefs:var" in scores["BLEU"]["signature"]
    assert 0 < scores["BLEU"]["score"] < 100


def test_rouge_l_matches_coco():
    _, per_item = Rouge().compute_score(*coco(CANDIDATES, REFERENCES))
    ours = [rouge_l(c, refs) for c, refs in zip(CANDIDATES, REFERENCES, strict=True)]
    assert ours == pytest.approx(list(per_item), abs=1e-9)


def test_cider_d_matches_coco():
    mean, per_item = Cider().compute_score(*coco(CANDIDATES, REFERENCES))
    ours_mean, ours = cider_d(CANDIDATES, REFERENCES)
    assert ours == pytest.approx(list(per_item), abs=1e-9)
    assert ours_mean == pytest.approx(mean, abs=1e-9)
    assert len(set(np.round(ours, 6))) == len(ours)  # the examples tell the items apart


def test_metrics_reject_mismatched_input():
    with pytest.raises(UsageError, match="2 captions but 1 reference sets"):
        cider_d(["a", "b"], [["a"]])
    with pytest.raises(UsageError, match="at least one reference"):
        corpus_scores(["a"], [[]])


def test_normalise_as_coco_tokenises():
    assert normalise("A Man, riding a WAVE!") == "a man riding a wave"


def test_clip_score_and_ref_clip_score():
    embedder = ColourEmbedder("fake:colour")
    images = np.stack([np.full((32, 32, 3), COLOURS[c], np.uint8) for c in ("red", "blue")])
    scores = clip_scores(embedder, images, ["red", "red"], [["red"], ["blue"]])
    image_vectors = embedder.embed_images(images)
    caption = embedder.embed_texts(["red"])[0]
    expected = [2.5 * max(float(v @ caption), 0.0) for v in image_vectors]
    assert scores["CLIPScore"] == pytest.approx(expected)
    assert scores["CLIPScore"][0] > scores["CLIPScore"][1]  # "red" fits the red frame better
    blue = max(float(embedder.embed_texts(["blue"])[0] @ caption), 0.0)
    harmonic = [2 * expected[0] * 1.0 / (expected[0] + 1.0)]
    harmonic.append(0.0 if blue == 0 else 2 * expected[1] * blue / (expected[1] + blue))
    assert scores["RefCLIPScore"] == pytest.approx(harmonic, abs=1e-6)
