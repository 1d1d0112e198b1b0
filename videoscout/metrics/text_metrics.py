"""BLEU, chrF and TER (sacrebleu), ROUGE-L and CIDEr-D, as captioning papers report them.

ROUGE-L and CIDEr-D follow the COCO caption evaluation code (pycocoevalcap), which the tests
check them against: ROUGE-L is the LCS F-measure with beta = 1.2, best over the references;
CIDEr-D weighs 1-4-grams by tf-idf with document frequencies counted over the reference sets,
clips candidate counts by the reference's, applies a Gaussian length penalty (sigma 6), averages
over references and n, and scales by 10. Like that code, it measures length in bigrams.
Text is normalised as COCO's tokenizer leaves it: lower case, punctuation removed.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from ..errors import UsageError

_PUNCTUATION = re.compile(r"[^\w\s]")


def normalise(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", text.lower()).split())


def _check(candidates: Sequence[str], references: Sequence[Sequence[str]]) -> None:
    if len(candidates) != len(references):
        raise UsageError(f"{len(candidates)} captions but {len(references)} reference sets")
    if not candidates:
        raise UsageError("no captions to score")
    if any(not refs for refs in references):
        raise UsageError("every item needs at least one reference caption")


def corpus_scores(candidates: Sequence[str], references: Sequence[Sequence[str]]) -> dict:
    """Corpus BLEU, chrF and TER with sacrebleu's defaults (BLEU: 13a tokenizer, exponential
    smoothing), with their signatures; items may have different numbers of references."""
    from sacrebleu.metrics import BLEU, CHRF, TER

    _check(candidates, references)
    most = max(len(refs) for refs in references)
    streams = [[refs[i] if i < len(refs) else None for refs in references] for i in range(most)]
    results = {}
    for name, metric in (("BLEU", BLEU()), ("chrF", CHRF()), ("TER", TER())):
        score = metric.corpus_score(list(candidates), streams)
        results[name] = {"score": score.score, "signature": str(metric.get_signature())}
    return results


def rouge_l(candidate: str, references: Sequence[str], beta: float = 1.2) -> float:
    """ROUGE-L of one caption: F-measure of the best precision and best recall over references."""
    words = candidate.split()
    if not words:
        return 0.0
    precision = recall = 0.0
    for reference in references:
        ref_words = reference.split()
        common = _lcs(ref_words, words)
        precision = max(precision, common / len(words))
        recall = max(recall, common / len(ref_words) if ref_words else 0.0)
    if precision == 0 or recall == 0:
        return 0.0
    return (1 + beta**2) * precision * recall / (recall + beta**2 * precision)


def cider_d(
    candidates: Sequence[str], references: Sequence[Sequence[str]], n: int = 4, sigma: float = 6.0
) -> tuple[float, list[float]]:
    """CIDEr-D of a corpus: (mean, per-item scores). The document frequencies come from these
    references, so scores depend on the whole set, as in the COCO evaluation."""
    _check(candidates, references)
    cand_counts = [_ngrams(c, n) for c in candidates]
    ref_counts = [[_ngrams(r, n) for r in refs] for refs in references]
    document_frequency: Counter = Counter()
    for refs in ref_counts:
        document_frequency.update({g for counts in refs for g in counts})
    log_items = math.log(len(references))

    def vector(counts: Counter):
        vec = [dict() for _ in range(n)]
        norms = [0.0] * n
        for gram, tf in counts.items():
            weight = tf * (log_items - math.log(max(1.0, document_frequency[gram])))
            vec[len(gram) - 1][gram] = weight
            norms[len(gram) - 1] += weight**2
        length = sum(tf for gram, tf in counts.items() if len(gram) == 2)  # as COCO's code
        return vec, [math.sqrt(x) for x in norms], length

    scores = []
    for cand, refs in zip(cand_counts, ref_counts, strict=True):
        vec, norm, length = vector(cand)
        total = [0.0] * n
        for ref in refs:
            ref_vec, ref_norm, ref_length = vector(ref)
            penalty = math.exp(-((length - ref_length) ** 2) / (2 * sigma**2))
            for k in range(n):
                dot = sum(
                    min(w, ref_vec[k].get(g, 0.0)) * ref_vec[k].get(g, 0.0)
                    for g, w in vec[k].items()
                )
                if norm[k] and ref_norm[k]:
                    dot /= norm[k] * ref_norm[k]
                total[k] += dot * penalty
        scores.append(10.0 * sum(total) / n / len(refs))
    return sum(scores) / len(scores), scores


def _ngrams(text: str, n: int) -> Counter:
    words = text.split()
    return Counter(
        tuple(words[i : i + k]) for k in range(1, n + 1) for i in range(len(words) - k + 1)
    )


def _lcs(a: list[str], b: list[str]) -> int:
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]
