"""Caption quality metrics with several references per item."""

from .clip_score import clip_scores
from .text_metrics import cider_d, corpus_scores, normalise, rouge_l

__all__ = ["cider_d", "clip_scores", "corpus_scores", "normalise", "rouge_l"]
