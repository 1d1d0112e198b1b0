"""``videoscout eval-captions``: captioners compared against reference captions."""

from __future__ import annotations

from pathlib import Path

import click

from .command import Command
from .output import echo


@click.command("eval-captions", cls=Command)
@click.argument("references", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--captioner",
    "-c",
    "captioners",
    multiple=True,
    required=True,
    metavar="SPEC[@METHOD]",
    help="A captioner to compare (repeat); @beam or @top_p picks its decoding [greedy].",
)
@click.option("--model", "-m", help="Embedding model for CLIPScore/RefCLIPScore (optional).")
@click.option("--max-tokens", default=32, show_default=True, help="Longest caption.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="JSON report.")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path), help="Bar chart PNG.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON, no tables.")
def eval_captions(references, captioners, model, max_tokens, out, chart, as_json) -> None:
    """Caption the frames listed in REFERENCES (JSON, JSONL or CSV) with each captioner and
    score them: BLEU, chrF, TER (sacrebleu), ROUGE-L, CIDEr-D, and CLIPScore/RefCLIPScore with
    --model. METEOR is not offered: its reference implementation needs Java."""
    from ..metrics.compare import compare
    from ..metrics.references import load_references
    from ..metrics.report import print_tables, to_json, write_chart, write_json

    items = load_references(references)
    reports = compare(items, list(captioners), embedder=model, max_tokens=max_tokens)
    if as_json:
        click.echo(to_json(reports, items))
    else:
        print_tables(reports, items)
    if out:
        write_json(out, reports, items)
        echo(f"report: {out}", err=as_json)
    if chart:
        write_chart(chart, reports)
        echo(f"chart: {chart}", err=as_json)
