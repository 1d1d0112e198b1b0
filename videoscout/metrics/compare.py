"""Several captioners on the same frames, scored with every metric against the references."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from ..errors import UsageError
from ..models.captioner import Decoding
from ..models.registry import get_captioner, get_embedder
from .references import ReferenceItem
from .text_metrics import cider_d, corpus_scores, normalise, rouge_l


@dataclass
class CaptionerReport:
    captioner: str  # spec, with "@method" when not greedy
    scores: dict[str, float]
    signatures: dict[str, str]
    captions: list[str]
    per_item: dict[str, list[float]] = field(default_factory=dict)

    def worst(self, items: list[ReferenceItem], n: int = 3) -> list[dict]:
        """The items with the lowest CIDEr-D: the captions most unlike their references."""
        order = np.argsort(self.per_item["CIDEr-D"], kind="stable")[:n]
        return [
            {
                "video": str(items[i].video),
                "time": items[i].time,
                "caption": self.captions[i],
                "references": list(items[i].references),
                "CIDEr-D": self.per_item["CIDEr-D"][i],
            }
            for i in order
        ]


def parse_captioner(text: str) -> tuple[str, Decoding]:
    """``SPEC`` or ``SPEC@greedy|beam|top_p``: one captioner and its decoding."""
    spec, _, method = text.partition("@")
    return spec, Decoding(method=method or "greedy")


def compare(
    items: list[ReferenceItem],
    captioners: list[str],
    embedder: str | None = None,
    max_tokens: int = 32,
) -> list[CaptionerReport]:
    from ..api import Video
    from ..describe import describe_range

    if not captioners:
        raise UsageError("name at least one captioner (--captioner SPEC[@beam])")
    by_video: dict = defaultdict(list)
    for i, item in enumerate(items):
        by_video[item.video].append(i)
    videos = {path: Video(path) for path in by_video}
    references = [[normalise(r) for r in item.references] for item in items]
    reports = []
    for text in captioners:
        spec, decoding = parse_captioner(text)
        decoding = Decoding(method=decoding.method, max_new_tokens=max_tokens)
        model = get_captioner(spec)
        captions = [""] * len(items)
        for path, rows in by_video.items():
            video = videos[path]
            for row in rows:
                t = min(max(items[row].time, 0.0), video.info.duration)
                [caption] = describe_range(video, model, t, t, [t], decoding).captions
                captions[row] = normalise(caption.text)
        reports.append(_score(text, captions, references, items, videos, embedder))
    return reports


def _score(name, captions, references, items, videos, embedder) -> CaptionerReport:
    corpus = corpus_scores(captions, references)
    cider_mean, cider_items = cider_d(captions, references)
    rouge = [rouge_l(c, refs) for c, refs in zip(captions, references, strict=True)]
    scores = {key: value["score"] for key, value in corpus.items()}
    scores["ROUGE-L"] = 100 * float(np.mean(rouge))
    scores["CIDEr-D"] = cider_mean
    per_item = {"CIDEr-D": cider_items, "ROUGE-L": rouge}
    if embedder:
        from .clip_score import clip_scores

        model = get_embedder(embedder)
        images = np.stack(
            [_frame(videos[item.video], item.time, model.image_size) for item in items]
        )
        clip = clip_scores(model, images, captions, references)
        for key, values in clip.items():
            scores[key] = float(np.mean(values))
            per_item[key] = values
    signatures = {key: value["signature"] for key, value in corpus.items()}
    return CaptionerReport(name, scores, signatures, captions, per_item)


def _frame(video, time: float, side: int) -> np.ndarray:
    """The frame at ``time`` with its short side at the embedder's input size."""
    from ..video import fit_short_side

    size = fit_short_side(video.info.width, video.info.height, side)
    return video.frames_at([min(time, video.info.duration)], size=size).images[0]
