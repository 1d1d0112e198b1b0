"""What a tool says back when a call fails: the model reads it and calls again, so each
problem names the argument, what was given and what is valid."""

from __future__ import annotations

from contextlib import contextmanager

from langchain_core.tools import ToolException
from pydantic import BaseModel, ValidationError

from videoscout.errors import VideoscoutError


def explain_invalid_arguments(tool: str, schema: type[BaseModel], error: ValidationError) -> str:
    """One line per problem, e.g. ``- k: got 1000: input should be less than or equal to 20
    (k: how many moments to return, a whole number from 1 to 20)``."""
    lines = [f"{tool} was not run: its arguments are invalid. Fix them and call it again:"]
    lines += [f"- {_problem(tool, schema, problem)}" for problem in error.errors()]
    return "\n".join(lines)


def _problem(tool: str, schema: type[BaseModel], problem: dict) -> str:
    loc = problem["loc"]
    name = str(loc[0]) if loc else "arguments"
    where = name + "".join(f"[{part}]" for part in loc[1:] if isinstance(part, int))
    if problem["type"] == "extra_forbidden":
        takes = ", ".join(schema.model_fields) or "no arguments"
        return f"{where}: no such argument; {tool} takes {takes}"
    if problem["type"] == "missing":
        said = "missing"
    else:
        # A ValueError from a validator (an unreadable time) says more than pydantic's wrapper.
        cause = problem.get("ctx", {}).get("error")
        said = f"got {_shown(problem['input'])}: {_sentence(str(cause or problem['msg']))}"
    field = schema.model_fields.get(name)
    valid = f" ({name}: {_sentence(field.description)})" if field and field.description else ""
    return f"{where}: {said}{valid}"


def _shown(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _sentence(text: str) -> str:
    """``text`` to go after a colon: its first letter lower case, no full stop."""
    text = text.rstrip(".")
    return text[:1].lower() + text[1:]


@contextmanager
def user_errors_to_model():
    """Errors a user or the model can cause become messages; programming errors propagate."""
    try:
        yield
    except VideoscoutError as exc:
        raise ToolException(str(exc)) from exc
