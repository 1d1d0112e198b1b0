"""One place that turns chat-model spec strings into LangChain chat models (the agent's ``--llm``).

Spec strings::

    none                          no chat model: the agent's LLM-free planner (the default)
    ollama:qwen2.5:1.5b           a model served by Ollama (--llm-base-url, else OLLAMA_HOST)
    openai:gpt-4o-mini            OpenAI, or any OpenAI-compatible server (llama.cpp's server,
                                  vLLM, LM Studio) at --llm-base-url, else OPENAI_BASE_URL
    anthropic:claude-sonnet-4-5   Anthropic's API (ANTHROPIC_API_KEY)
    groq:llama-3.1-8b-instant     any other provider LangChain's ``init_chat_model`` knows
    llamacpp:/path/model.gguf     a GGUF model run in process by llama-cpp-python

``get_chat_model(None)`` reads ``$VIDEOSCOUT_LLM`` and falls back to ``none``, which resolves to
``None``: the caller then runs without a model. Named entries (``register_chat_model``) take
precedence over schemes; tests register their scripted fakes there. Models default to
temperature 0, so a run can be repeated.

Each provider is an optional extra (``pip install "videoscout[openai]"``); its package is
imported by the factory that needs it, never at import time. A missing extra, an unknown scheme or
an empty name raises at once. An unreachable server or an unknown model name only shows when the
model is first called: wrap each call with ``describe_chat_error`` to turn those into one line
that names the server and the fix.
"""

from __future__ import annotations

import difflib
import os
import re
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ChatModelError, UnknownModelError, VideoscoutError
from .registry import ModelEntry

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

DEFAULT_CHAT_MODEL = "none"
ENV_VAR = "VIDEOSCOUT_LLM"
DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"
DEFAULT_OPENAI_URL = "https://api.openai.com/v1"
# Local OpenAI-compatible servers check no key, but the openai client refuses to start without one.
LOCAL_API_KEY = "not-needed"

CHAT_SCHEMES = {
    "none": "none — no chat model: the LLM-free planner answers (default)",
    "ollama": "ollama:NAME — a model served by Ollama, e.g. ollama:qwen2.5:1.5b "
    "(--llm-base-url or OLLAMA_HOST)",
    "openai": "openai:NAME — OpenAI, or an OpenAI-compatible server (llama.cpp server, vLLM, "
    "LM Studio) at --llm-base-url or OPENAI_BASE_URL",
    "anthropic": "anthropic:NAME — Anthropic's API (ANTHROPIC_API_KEY)",
    "llamacpp": "llamacpp:/path/model.gguf — a GGUF model in process (llama-cpp-python)",
}
OTHER_PROVIDERS = (
    "PROVIDER:NAME — any other provider of LangChain's init_chat_model (groq, mistralai, ...)"
)

# Import name of each provider package -> (distribution, videoscout extra or None).
_PACKAGES = {
    "langchain_openai": ("langchain-openai", "openai"),
    "langchain_ollama": ("langchain-ollama", "ollama"),
    "langchain_anthropic": ("langchain-anthropic", "anthropic"),
    "llama_cpp": ("llama-cpp-python", "llamacpp"),
}
# A provider's constructor reports a bad setting with its own class (a ValueError, an SDK error);
# these are bugs instead, and propagate with their traceback.
_PROGRAMMING_ERRORS = (TypeError, AttributeError, NameError, KeyError, IndexError, AssertionError)

ChatFactory = Callable[[str], "BaseChatModel"]

_NAMED: dict[str, tuple[ModelEntry, ChatFactory]] = {}
_LOADED: dict[tuple[str, str | None], BaseChatModel | None] = {}
_LOCK = threading.RLock()


def register_chat_model(name: str, factory: ChatFactory, description: str = "") -> None:
    """Make ``name`` resolve to ``factory(name)``; replaces an earlier entry."""
    with _LOCK:
        _NAMED[name] = (ModelEntry(name, "chat", description), factory)
        _forget(name)


def unregister_chat_model(name: str) -> None:
    with _LOCK:
        _NAMED.pop(name, None)
        _forget(name)


def _forget(name: str) -> None:
    for key in [key for key in _LOADED if key[0] == name]:
        del _LOADED[key]


def chat_model_spec(spec: str | None = None) -> str:
    """The spec in effect: ``spec``, else ``$VIDEOSCOUT_LLM``, else ``none``."""
    if spec is None:
        spec = os.environ.get(ENV_VAR, "")
    return spec.strip() or DEFAULT_CHAT_MODEL


def get_chat_model(spec: str | None = None, *, base_url: str | None = None) -> BaseChatModel | None:
    """The chat model for ``spec`` (``None``: ``$VIDEOSCOUT_LLM``), resolved once and shared.

    Returns ``None`` for ``none``. ``base_url`` points ``openai:`` and ``ollama:`` at a server.
    """
    spec = chat_model_spec(spec)
    if _is_none(spec):
        return None
    key = (spec, base_url or _env_base_url(_scheme(spec)))
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = resolve_chat_model(spec, base_url=base_url)
        return _LOADED[key]


def resolve_chat_model(
    spec: str, *, base_url: str | None = None, **options: Any
) -> BaseChatModel | None:
    """A new chat model for ``spec``, not cached.

    ``options`` go to the provider's constructor and override our defaults (e.g. ``timeout``,
    ``max_retries``, ``temperature``); named entries ignore them.
    """
    spec = spec.strip()
    if _is_none(spec):
        return None
    if spec in _NAMED:
        return _NAMED[spec][1](spec)
    scheme, sep, name = spec.partition(":")
    scheme, name = _scheme(spec), name.strip()
    if not sep or not scheme:
        raise UnknownModelError(_unknown_message(spec))
    factory = _SCHEME_FACTORIES.get(scheme)
    if factory is None:
        if scheme not in chat_providers():
            raise UnknownModelError(_unknown_message(spec))
        factory = _provider
    if not name:
        example = "/path/model.gguf" if scheme == "llamacpp" else "NAME"
        raise UnknownModelError(
            f"chat model spec {spec!r} is missing a name after '{scheme}:' "
            f"(e.g. {scheme}:{example}; `videoscout models`)"
        )
    return factory(spec, scheme, name, base_url, options)


def list_chat_models() -> list[ModelEntry]:
    """The spec forms and the registered names, for ``videoscout models``."""
    forms = [*CHAT_SCHEMES.values(), OTHER_PROVIDERS]
    parts = (text.partition(" — ") for text in forms)
    entries = [ModelEntry(form, "chat", description) for form, _, description in parts]
    return entries + [entry for entry, _ in _NAMED.values()]


def chat_providers() -> list[str]:
    """Every provider ``init_chat_model`` knows, read from the installed langchain."""
    from langchain.chat_models import base

    return sorted(getattr(base, "_BUILTIN_PROVIDERS", ()))


def _is_none(spec: str) -> bool:
    return spec.strip().lower() in ("", "none")


def _scheme(spec: str) -> str:
    return spec.partition(":")[0].strip().lower().replace("-", "_")


def _env_base_url(scheme: str) -> str | None:
    if scheme == "ollama":
        return os.environ.get("OLLAMA_HOST") or None
    if scheme == "openai":
        return os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE") or None
    return None


def _unknown_message(spec: str) -> str:
    scheme, sep, name = spec.partition(":")
    providers = chat_providers()
    others = [p for p in providers if p not in CHAT_SCHEMES]
    named = sorted(_NAMED)
    close = difflib.get_close_matches(spec, [*named, "none"], n=3, cutoff=0.6)
    if sep:
        schemes = sorted(set(CHAT_SCHEMES) | set(providers) - {"none"})
        close += [
            f"{match}:{name}"
            for match in difflib.get_close_matches(scheme.strip().lower(), schemes, n=1)
        ]
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    shape = "" if sep else "; a chat model spec is SCHEME:NAME, e.g. ollama:qwen2.5:1.5b"
    registered = f"; registered: {', '.join(named)}" if named else ""
    return (
        f"unknown chat model {spec!r}{hint}{shape}. Valid: none, ollama:NAME, openai:NAME, "
        f"anthropic:NAME, llamacpp:/path/model.gguf, or PROVIDER:NAME for another provider: "
        f"{', '.join(others)}{registered} (`videoscout models`)"
    )


def _missing_package(spec: str, module: str) -> ChatModelError:
    root = module.partition(".")[0]
    package, extra = _PACKAGES.get(root, (root.replace("_", "-"), None))
    fix = f'pip install "videoscout[{extra}]"' if extra else f"pip install {package}"
    return ChatModelError(f"chat model {spec!r} needs {package}, which is not installed: {fix}")


def _construct(
    spec: str, cls: Callable[..., BaseChatModel], kwargs: dict, hint: str = "", key: str = ""
):
    """``cls(**kwargs)``, with a bad setting (e.g. a missing API key) as one ChatModelError line;
    ``key`` names the environment variable to suggest when the message is about a key."""
    try:
        return cls(**kwargs)
    except (VideoscoutError, *_PROGRAMMING_ERRORS):
        raise
    except Exception as exc:  # provider SDKs raise their own classes for bad settings
        text = _one_line(exc)
        if key and re.search(r"api[_ ]?key|credential", text, re.IGNORECASE):
            hint = f" (set {key})"
        raise ChatModelError(f"cannot set up chat model {spec!r}: {text}{hint}") from exc


def _one_line(exc: BaseException) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):  # pydantic's ValidationError: its first line only names the class
        try:
            text = "; ".join(str(e.get("msg", "")) for e in errors())
        except Exception:
            text = str(exc)
    else:
        text = str(exc)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _ollama(spec: str, scheme: str, name: str, base_url: str | None, options: dict):
    try:
        from langchain_ollama import ChatOllama
    except ImportError as exc:
        raise _missing_package(spec, "langchain_ollama") from exc
    url = base_url or _env_base_url("ollama")
    # Ollama's default context (2048 tokens on many installs) silently cuts a long prompt.
    kwargs: dict[str, Any] = {"model": name, "temperature": 0, "num_ctx": 4096}
    if url:
        kwargs["base_url"] = url
    return _construct(spec, ChatOllama, {**kwargs, **options})


def _openai(spec: str, scheme: str, name: str, base_url: str | None, options: dict):
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise _missing_package(spec, "langchain_openai") from exc
    url = base_url or _env_base_url("openai")
    kwargs: dict[str, Any] = {"model": name, "temperature": 0}
    if url:
        kwargs["base_url"] = url
        if not os.environ.get("OPENAI_API_KEY"):
            kwargs["api_key"] = LOCAL_API_KEY
    try:
        return _construct(spec, ChatOpenAI, {**kwargs, **options})
    except ChatModelError as exc:
        if url or os.environ.get("OPENAI_API_KEY") or "api_key" in options:
            raise
        raise ChatModelError(
            f"chat model {spec!r} needs an API key: set OPENAI_API_KEY, or pass --llm-base-url "
            f"for an OpenAI-compatible local server"
        ) from exc


def _llamacpp(spec: str, scheme: str, name: str, base_url: str | None, options: dict):
    path = Path(name).expanduser()
    if not path.is_file():
        raise ChatModelError(
            f"llamacpp model file not found: {path} (pass the path of a .gguf file, "
            f"e.g. llamacpp:/models/qwen2.5-1.5b-instruct-q4_k_m.gguf)"
        )
    try:
        import llama_cpp  # noqa: F401  (ChatLlamaCpp's own message names the wrong package)
    except ImportError as exc:
        raise _missing_package(spec, "llama_cpp") from exc
    with warnings.catch_warnings():  # "langchain-community is being sunset": not the user's to fix
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community.chat_models.llamacpp import ChatLlamaCpp

    # ChatLlamaCpp passes rope_freq_base=10000 and rope_freq_scale=1 to llama_cpp.Llama, which
    # override the GGUF's own values (1e6 for Qwen2.5: a 1.5B then misread times in a long
    # prompt). model_kwargs are applied last, and 0 means "from the model".
    model_kwargs = {"rope_freq_base": 0.0, "rope_freq_scale": 0.0}
    model_kwargs.update(options.pop("model_kwargs", {}))
    kwargs: dict[str, Any] = {
        "model_path": str(path),
        "n_ctx": 4096,  # its default 512 does not hold a system prompt, two tools and a question
        "n_batch": 256,  # its default 8 reads a prompt 2.3x slower
        "temperature": 0,
        "max_tokens": 512,
        "verbose": False,
        "model_kwargs": model_kwargs,
    }
    return _construct(spec, ChatLlamaCpp, {**kwargs, **options}, " (is it a complete .gguf file?)")


def _provider(spec: str, provider: str, name: str, base_url: str | None, options: dict):
    from langchain.chat_models import base, init_chat_model

    kwargs: dict[str, Any] = {"temperature": 0}
    if base_url:
        kwargs["base_url"] = base_url
    module = getattr(base, "_BUILTIN_PROVIDERS", {}).get(provider, (f"langchain_{provider}",))[0]

    def create(**kw: Any) -> BaseChatModel:
        try:
            return init_chat_model(name, model_provider=provider, **kw)
        except ImportError as exc:
            raise _missing_package(spec, module) from exc

    key = f"{provider.upper()}_API_KEY"
    return _construct(spec, create, {**kwargs, **options}, key=key)


_SCHEME_FACTORIES: dict[str, Callable[..., BaseChatModel]] = {
    "ollama": _ollama,
    "openai": _openai,
    "llamacpp": _llamacpp,
}


def describe_chat_error(
    exc: BaseException, spec: str, base_url: str | None = None
) -> ChatModelError | None:
    """A one-line ChatModelError for an unreachable server, an unknown model name or a refused
    API key raised by the model of ``spec``; ``None`` for anything else (let it propagate).

    The agent calls this around each model call::

        try:
            reply = model.invoke(messages)
        except Exception as exc:
            raise (describe_chat_error(exc, spec, base_url) or exc) from exc
    """
    if isinstance(exc, ChatModelError):
        return exc
    spec = chat_model_spec(spec)
    for err in _causes(exc):
        message = _describe(err, spec, base_url)
        if message:
            return ChatModelError(message)
    return None


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    err: BaseException | None = exc
    while err is not None and id(err) not in seen and len(seen) < 10:
        seen.add(id(err))
        yield err
        err = err.__cause__ or err.__context__


def _kind(err: BaseException) -> str | None:
    """``connect``, ``timeout``, ``not-found`` or ``auth``: checked by class name through the
    MRO, so the optional provider SDKs need not be importable here."""
    names = {cls.__name__ for cls in type(err).__mro__}
    status = getattr(err, "status_code", None)
    if names & {"ModelTimeoutError", "APITimeoutError", "ConnectTimeout", "ReadTimeout"}:
        return "timeout"
    if isinstance(err, ConnectionError) or names & {
        "ModelConnectionError",
        "APIConnectionError",
        "ConnectError",
    }:
        return "connect"
    if names & {"ModelNotFoundError", "NotFoundError"} or status == 404:
        return "not-found"
    if "ResponseError" in names and "not found" in str(err).lower():  # ollama, older servers
        return "not-found"
    if names & {"ModelAuthenticationError", "AuthenticationError"} or status == 401:
        return "auth"
    return None


def _describe(err: BaseException, spec: str, base_url: str | None) -> str | None:
    kind = _kind(err)
    if kind is None:
        return None
    scheme, _, name = spec.partition(":")
    scheme = _scheme(spec)
    name = name.strip()
    url = base_url or _env_base_url(scheme)
    if scheme == "ollama":
        return _describe_ollama(kind, name, _ollama_url(url))
    if scheme == "openai" and url:
        where = f"the OpenAI-compatible server at {url}"
        return {
            "connect": f"cannot reach {where}: is it running? start it, or pass --llm-base-url "
            f"(or set OPENAI_BASE_URL)",
            "timeout": f"{where} did not answer in time: is it overloaded or still loading the "
            f"model? retry, or use a smaller model",
            "not-found": f"{where} has no model {name!r}: check the name ({url}/models lists them)",
            "auth": f"{where} refused the API key: set OPENAI_API_KEY to the key it expects",
        }[kind]
    if scheme == "openai":
        where = f"OpenAI at {DEFAULT_OPENAI_URL}"
        key = "OPENAI_API_KEY"
    else:
        where = f"{scheme} at {url}" if url else f"the {scheme} API"
        key = f"{scheme.upper()}_API_KEY"
    return {
        "connect": f"cannot reach {where} for {spec!r}: check the network, or pass "
        f"--llm-base-url for a local server",
        "timeout": f"{where} did not answer in time for {spec!r}: retry later",
        "not-found": f"{where} has no model {name!r}: check the name",
        "auth": f"{where} refused the API key for {spec!r}: set {key}",
    }[kind]


def _describe_ollama(kind: str, name: str, url: str) -> str:
    return {
        "connect": f"cannot reach Ollama at {url}: is it running? start it with `ollama serve`, "
        f"or pass --llm-base-url (or set OLLAMA_HOST)",
        "timeout": f"Ollama at {url} did not answer in time: is it still loading {name!r}? retry",
        "not-found": f"ollama has no model {name!r}: run `ollama pull {name}`",
        "auth": f"Ollama at {url} refused the request: check the server's access settings",
    }[kind]


def _ollama_url(host: str | None) -> str:
    if not host:
        return DEFAULT_OLLAMA_URL
    return host if "://" in host else f"http://{host}"
