"""The class of every ``videoscout`` command: text that starts with "-" (a query such as
"-red car") is read by click as an unknown option, and the error then says how to pass it."""

from __future__ import annotations

import shlex

import click


class Command(click.Command):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)  # click's parser consumes the list it is given
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            text = _text_read_as_option(self, ctx, given)
            if text is None:
                raise
            rest = list(given)
            rest.remove(text)
            fixed = shlex.join([*ctx.command_path.split(), *rest, "--", text])
            raise click.UsageError(
                f'{exc.message} To pass text starting with "-" such as {shlex.quote(text)}, '
                f"put -- before it: {fixed}",
                ctx,
            ) from None


def _text_read_as_option(command: click.Command, ctx: click.Context, args: list[str]):
    """The first argument that starts with "-" but names no option of ``command``, if it
    reads as text."""
    takes_value = {
        name: not (param.is_flag or param.count)
        for param in command.get_params(ctx)
        if isinstance(param, click.Option)
        for name in (*param.opts, *param.secondary_opts)
    }
    tokens = iter(args)
    for token in tokens:
        if token == "--":
            return None
        if not token.startswith("-") or token == "-":
            continue
        name = token.split("=", 1)[0]
        if name in takes_value:
            if takes_value[name] and "=" not in token:
                next(tokens, None)  # its value, whatever it looks like
            continue
        if token[:2] in takes_value:  # a short option with its value attached: -k3
            continue
        return token if _reads_as_text(token) else None
    return None


def _reads_as_text(token: str) -> bool:
    """Text such as "-red car", "-5" or "-red", not a mistyped option such as "--nope" or "-x"
    (click's own message, with its close matches, explains those better)."""
    if any(c.isspace() for c in token):
        return True
    return not token.startswith("--") and (len(token) > 2 or not token[1:].isalpha())
