"""``videoscout models`` and ``videoscout sample``."""

from __future__ import annotations

import json

import click

from ..models import DEFAULT_MODEL, list_models, list_pretrained
from ..models.chat_models import chat_model_spec, list_chat_models
from ..models.checkpoints import hub_cache_dir
from ..models.registry import DEFAULT_CAPTIONER, SCHEMES, is_cached
from ..samples import SAMPLES, sample_path
from .command import Command
from .output import echo


@click.command(cls=Command)
@click.option("--all", "show_all", is_flag=True, help="List every open_clip checkpoint.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def models(show_all: bool, as_json: bool) -> None:
    """List model specs, and whether their weights are in the local cache."""
    rows = [
        {
            "spec": entry.name,
            "description": entry.description,
            "cached": is_cached(entry.name)
            if entry.name.startswith(("clip:", "coca:", "vlm:"))
            else None,
        }
        for entry in list_models()
    ]
    if show_all:
        known = {row["spec"] for row in rows}
        rows += [
            {"spec": spec, "description": "", "cached": is_cached(spec)}
            for spec in list_pretrained()
            if spec not in known
        ]
    chat_rows = [{"spec": e.name, "description": e.description} for e in list_chat_models()]
    if as_json:
        listing = {
            "default": DEFAULT_MODEL,
            "models": rows,
            "chat_default": chat_model_spec(),
            "chat_models": chat_rows,
        }
        click.echo(json.dumps(listing, indent=2))
        return
    width = max(len(row["spec"]) for row in rows)
    for row in rows:
        state = {True: "cached", False: "not downloaded", None: ""}[row["cached"]]
        echo(f"{row['spec']:<{width}}  {state:<14}  {row['description']}")
    echo("\nSpec forms:")
    for text in SCHEMES.values():
        echo(f"  {text}")
    echo("\nChat models (--llm / VIDEOSCOUT_LLM):")
    chat_width = max(len(row["spec"]) for row in chat_rows)
    for row in chat_rows:
        echo(f"  {row['spec']:<{chat_width}}  {row['description']}")
    echo(
        f"\nDefault model: {DEFAULT_MODEL}; default captioner: {DEFAULT_CAPTIONER}; "
        f"chat model: {chat_model_spec()}. "
        f"Weights are read from {hub_cache_dir()}."
    )


@click.command(cls=Command)
@click.argument("name", required=False)
def sample(name: str | None) -> None:
    """Download a real sample clip (once) and print its path; no NAME lists them."""
    if name is None:
        for sample_ in SAMPLES.values():
            echo(f"{sample_.name:<13} {sample_.description}")
        return
    echo(str(sample_path(name)))
