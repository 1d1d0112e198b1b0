"""Chat models by spec string: `none`, registered fakes, clear one-line errors, and the openai:
path over real HTTP against a scripted OpenAI-compatible server on 127.0.0.1. Never calls a real
LLM service."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
import types

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from pydantic import BaseModel, Field

from videoscout.errors import ChatModelError, UnknownModelError
from videoscout.models import chat_models
from videoscout.models.chat_models import (
    CHAT_SCHEMES,
    chat_model_spec,
    describe_chat_error,
    get_chat_model,
    list_chat_models,
    register_chat_model,
    resolve_chat_model,
    unregister_chat_model,
)

from openai_server import Reply, ScriptedOpenAIServer


@pytest.fixture(autouse=True)
def _clean_chat_env(monkeypatch):
    for name in ("VIDEOSCOUT_LLM", "OPENAI_BASE_URL", "OPENAI_API_BASE", "OLLAMA_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    yield
    chat_models._LOADED.clear()


@pytest.fixture
def fake_good():
    """A scripted chat model registered as ``fake:good``; counts how often it is built."""
    built = []

    def factory(spec):
        built.append(spec)
        return FakeListChatModel(responses=["fine"])

    register_chat_model("fake:good", factory, description="test fake")
    yield built
    unregister_chat_model("fake:good")


def free_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- none, the environment, registered names ---------------------------------------------------


def test_none_is_the_default_and_means_no_model():
    assert chat_model_spec() == "none"
    assert get_chat_model() is None
    for spec in ("none", "NONE", " none ", ""):
        assert get_chat_model(spec) is None


def test_videoscout_llm_sets_the_default(monkeypatch, fake_good):
    monkeypatch.setenv("VIDEOSCOUT_LLM", "fake:good")
    assert chat_model_spec() == "fake:good"
    assert isinstance(get_chat_model(), FakeListChatModel)
    assert get_chat_model("none") is None  # an explicit spec wins over the variable
    monkeypatch.setenv("VIDEOSCOUT_LLM", "none")
    assert get_chat_model() is None


def test_registered_fake_resolves_once_and_is_shared(fake_good):
    model = get_chat_model("fake:good")
    assert model.invoke("hi").content == "fine"
    assert get_chat_model(" fake:good ") is model
    assert fake_good == ["fake:good"]
    unregister_chat_model("fake:good")
    with pytest.raises(UnknownModelError):
        get_chat_model("fake:good")


def test_cache_is_keyed_by_base_url_and_thread_safe():
    built = []

    def slow(spec):
        built.append(spec)
        time.sleep(0.05)
        return FakeListChatModel(responses=["x"])

    register_chat_model("fake:slow", slow)
    try:
        results = []
        threads = [
            threading.Thread(target=lambda: results.append(get_chat_model("fake:slow")))
            for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(built) == 1 and len({id(m) for m in results}) == 1
        other = get_chat_model("fake:slow", base_url="http://127.0.0.1:1/v1")
        assert other is not results[0] and len(built) == 2
    finally:
        unregister_chat_model("fake:slow")


def test_list_chat_models_has_every_scheme_and_registered_names(fake_good):
    names = [entry.name for entry in list_chat_models()]
    assert names[0] == "none"
    for form in ("ollama:NAME", "openai:NAME", "anthropic:NAME", "llamacpp:/path/model.gguf"):
        assert form in names
    assert "PROVIDER:NAME" in names and "fake:good" in names
    assert set(CHAT_SCHEMES) == {"none", "ollama", "openai", "anthropic", "llamacpp"}


# -- errors at resolution -----------------------------------------------------------------------


def test_unknown_scheme_lists_the_valid_ones(fake_good):
    with pytest.raises(UnknownModelError) as info:
        get_chat_model("foo:bar")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("unknown chat model 'foo:bar'")
    for valid in ("none", "ollama:NAME", "openai:NAME", "anthropic:NAME", "llamacpp:"):
        assert valid in message
    assert "groq" in message and "mistralai" in message  # read from langchain's providers
    assert "fake:good" in message


@pytest.mark.parametrize(
    ("spec", "suggestion"),
    [
        ("olama:qwen2.5:1.5b", "ollama:qwen2.5:1.5b"),
        ("opnai:gpt-4o-mini", "openai:gpt-4o-mini"),
        ("fake:god", "fake:good"),
        ("nnoe", "none"),
    ],
)
def test_unknown_spec_suggests_a_close_one(spec, suggestion, fake_good):
    with pytest.raises(UnknownModelError, match=f"did you mean {suggestion}"):
        get_chat_model(spec)


def test_a_bare_name_explains_the_spec_shape():
    with pytest.raises(UnknownModelError, match="a chat model spec is SCHEME:NAME"):
        get_chat_model("qwen2.5")


@pytest.mark.parametrize("spec", ["ollama:", "openai: ", "llamacpp:", "groq:"])
def test_empty_name_is_an_error(spec):
    with pytest.raises(UnknownModelError, match="missing a name after"):
        get_chat_model(spec)


@pytest.mark.parametrize(
    ("spec", "module", "extra"),
    [
        ("ollama:qwen2.5:1.5b", "langchain_ollama", "ollama"),
        ("openai:gpt-4o-mini", "langchain_openai", "openai"),
        ("anthropic:claude-sonnet-4-5", "langchain_anthropic", "anthropic"),
    ],
)
def test_missing_extra_names_the_pip_command(monkeypatch, spec, module, extra):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    with pytest.raises(ChatModelError) as info:
        get_chat_model(spec)
    message = str(info.value)
    assert f'pip install "videoscout[{extra}]"' in message and "\n" not in message


def test_provider_without_an_extra_names_its_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "langchain_groq", None)
    with pytest.raises(ChatModelError, match="pip install langchain-groq"):
        get_chat_model("groq:llama-3.1-8b-instant")


def test_provider_setup_error_is_one_line_naming_the_key(monkeypatch):
    from langchain.chat_models import base

    class ChatGroq:
        def __init__(self, **kwargs):
            assert kwargs == {"model": "llama-3.1-8b-instant", "temperature": 0}
            raise ValueError("Did not find groq_api_key, please add an environment variable\n...")

    monkeypatch.setitem(sys.modules, "langchain_groq", types.SimpleNamespace(ChatGroq=ChatGroq))
    base._get_chat_model_creator.cache_clear()  # it caches the imported class per provider
    try:
        with pytest.raises(ChatModelError) as info:
            get_chat_model("groq:llama-3.1-8b-instant")
    finally:
        base._get_chat_model_creator.cache_clear()
    assert str(info.value) == (
        "cannot set up chat model 'groq:llama-3.1-8b-instant': Did not find groq_api_key, "
        "please add an environment variable (set GROQ_API_KEY)"
    )


def test_openai_without_key_or_server_says_how_to_fix():
    with pytest.raises(ChatModelError) as info:
        get_chat_model("openai:gpt-4o-mini")
    assert "set OPENAI_API_KEY, or pass --llm-base-url" in str(info.value)


# -- ollama: (a stand-in module records what the real ChatOllama would be given) ---------------


@pytest.fixture
def fake_langchain_ollama(monkeypatch):
    made = []

    class ChatOllama(FakeListChatModel):
        def __init__(self, **kwargs):
            made.append(kwargs)
            super().__init__(responses=["ok"])

    monkeypatch.setitem(
        sys.modules, "langchain_ollama", types.SimpleNamespace(ChatOllama=ChatOllama)
    )
    return made


def test_ollama_name_keeps_its_colons_and_base_url(monkeypatch, fake_langchain_ollama):
    get_chat_model("ollama:qwen2.5:1.5b")
    monkeypatch.setenv("OLLAMA_HOST", "http://gpu-box:11434")
    get_chat_model("ollama:qwen2.5:1.5b")  # the host is part of the cache key
    get_chat_model("ollama:qwen2.5:1.5b", base_url="http://127.0.0.1:9999")
    first, from_env, from_arg = fake_langchain_ollama
    assert first["model"] == "qwen2.5:1.5b" and first["temperature"] == 0
    assert "base_url" not in first
    assert from_env["base_url"] == "http://gpu-box:11434"
    assert from_arg["base_url"] == "http://127.0.0.1:9999"


class ResponseError(Exception):
    """Shaped like ollama's ResponseError (ollama is an optional extra)."""

    def __init__(self, error: str, status_code: int = -1):
        super().__init__(error)
        self.status_code = status_code


def test_describe_ollama_errors(monkeypatch):
    # ollama's client raises the builtin ConnectionError when the server is down.
    down = ConnectionError("Failed to connect to Ollama. Please check that Ollama is running.")
    message = str(describe_chat_error(down, "ollama:qwen2.5:1.5b"))
    assert message.startswith("cannot reach Ollama at http://127.0.0.1:11434")
    assert "ollama serve" in message
    monkeypatch.setenv("OLLAMA_HOST", "gpu-box:11434")
    assert "at http://gpu-box:11434" in str(describe_chat_error(down, "ollama:qwen2.5:1.5b"))

    missing = ResponseError("model 'qwen9' not found", 404)
    assert str(describe_chat_error(missing, "ollama:qwen9")) == (
        "ollama has no model 'qwen9': run `ollama pull qwen9`"
    )


def test_describe_leaves_other_errors_alone():
    assert describe_chat_error(ValueError("bad JSON in the reply"), "openai:x") is None
    assert describe_chat_error(RuntimeError("boom"), "fake:good") is None


def test_describe_finds_the_cause_inside_a_wrapper():
    try:
        try:
            raise ConnectionError("refused")
        except ConnectionError as exc:
            raise RuntimeError("node failed") from exc
    except RuntimeError as wrapped:
        error = describe_chat_error(wrapped, "openai:x", "http://127.0.0.1:8080/v1")
    assert "cannot reach the OpenAI-compatible server at http://127.0.0.1:8080/v1" in str(error)


# -- openai: over real HTTP ----------------------------------------------------------------------


class SearchMoments(BaseModel):
    """Find the moments of the video that show something."""

    query: str = Field(description="what to look for")
    k: int = Field(default=3, description="how many moments")


def test_openai_compatible_server_over_http():
    with ScriptedOpenAIServer(["The bird is blue."]) as server:
        model = get_chat_model("openai:toy-model", base_url=server.base_url)
        reply = model.invoke([("system", "Answer briefly."), ("user", "What colour is the bird?")])
    assert reply.content == "The bird is blue."
    (request,) = server.requests
    assert server.paths == ["/v1/chat/completions"]
    assert request["model"] == "toy-model" and request["temperature"] == 0
    assert request["messages"] == [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "What colour is the bird?"},
    ]
    # A local server needs no key, but the client will not start without one.
    assert server.headers[0]["authorization"] == "Bearer not-needed"


def test_openai_base_url_from_the_environment(monkeypatch):
    with ScriptedOpenAIServer(["hi"]) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        assert get_chat_model("openai:toy-model").invoke("hello").content == "hi"
    assert server.requests[0]["messages"] == [{"role": "user", "content": "hello"}]


def test_openai_forced_tool_call_is_parsed():
    script = [Reply.tool_call("SearchMoments", {"query": "red car", "k": 2})]
    with ScriptedOpenAIServer(script) as server:
        model = get_chat_model("openai:toy-model", base_url=server.base_url)
        bound = model.bind_tools([SearchMoments], tool_choice="SearchMoments")
        reply = bound.invoke("When does the red car pass?")
    (call,) = reply.tool_calls
    assert call["name"] == "SearchMoments" and call["args"] == {"query": "red car", "k": 2}
    request = server.requests[0]
    assert request["tool_choice"] == {"type": "function", "function": {"name": "SearchMoments"}}
    (tool,) = request["tools"]
    assert tool["function"]["name"] == "SearchMoments"
    assert set(tool["function"]["parameters"]["properties"]) == {"query", "k"}


def test_openai_streaming_text_and_tool_calls():
    script = ["Two moments.", Reply.tool_call("SearchMoments", {"query": "bird"})]
    with ScriptedOpenAIServer(script) as server:
        model = get_chat_model("openai:toy-model", base_url=server.base_url)
        text = "".join(chunk.content for chunk in model.stream("How many?"))
        chunks = list(model.bind_tools([SearchMoments]).stream("Find the bird"))
    assert text == "Two moments."
    message = chunks[0]
    for chunk in chunks[1:]:
        message += chunk
    assert message.tool_calls[0]["name"] == "SearchMoments"
    assert message.tool_calls[0]["args"] == {"query": "bird"}
    assert all(r["stream"] for r in server.requests)


def test_openai_malformed_arguments_arrive_as_invalid_tool_calls():
    with ScriptedOpenAIServer([Reply.tool_call("SearchMoments", '{"query": "bird"')]) as server:
        model = get_chat_model("openai:toy-model", base_url=server.base_url)
        reply = model.bind_tools([SearchMoments]).invoke("Find the bird")
    assert reply.tool_calls == [] and reply.invalid_tool_calls[0]["name"] == "SearchMoments"


def test_unreachable_server_is_one_line_naming_the_url():
    url = f"http://127.0.0.1:{free_port()}/v1"
    model = resolve_chat_model("openai:toy-model", base_url=url, max_retries=0, timeout=5)
    started = time.monotonic()
    with pytest.raises(Exception) as info:
        model.invoke("hi")
    assert time.monotonic() - started < 5
    error = describe_chat_error(info.value, "openai:toy-model", url)
    assert isinstance(error, ChatModelError)
    assert str(error) == (
        f"cannot reach the OpenAI-compatible server at {url}: is it running? start it, "
        f"or pass --llm-base-url (or set OPENAI_BASE_URL)"
    )


def test_unknown_model_on_the_server_is_one_line():
    with ScriptedOpenAIServer([Reply.http_error(404, "model 'nope' not found")]) as server:
        model = resolve_chat_model("openai:nope", base_url=server.base_url, max_retries=0)
        with pytest.raises(Exception) as info:
            model.invoke("hi")
    error = describe_chat_error(info.value, "openai:nope", server.base_url)
    assert str(error) == (
        f"the OpenAI-compatible server at {server.base_url} has no model 'nope': check the "
        f"name ({server.base_url}/models lists them)"
    )


def test_scripted_server_answers_from_callables_and_reports_an_empty_script():
    def echo(body):
        return f"you said {body['messages'][-1]['content']}"

    with ScriptedOpenAIServer([echo]) as server:
        model = resolve_chat_model("openai:toy-model", base_url=server.base_url, max_retries=0)
        assert model.invoke("hello").content == "you said hello"
        with pytest.raises(Exception, match="no scripted reply left"):
            model.invoke("again")
        assert server.pending == 0
        server.enqueue("back")
        assert model.invoke("more").content == "back"


# -- llamacpp: ----------------------------------------------------------------------------------


def test_llamacpp_missing_file_is_a_clear_error(tmp_path):
    path = tmp_path / "absent.gguf"
    with pytest.raises(ChatModelError) as info:
        get_chat_model(f"llamacpp:{path}")
    assert str(info.value).startswith(f"llamacpp model file not found: {path}")


def test_llamacpp_without_llama_cpp_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    with pytest.raises(ChatModelError, match=r'pip install "videoscout\[llamacpp\]"'):
        get_chat_model(f"llamacpp:{model}")


@pytest.fixture
def fake_llama_cpp(monkeypatch):
    """A stand-in llama_cpp module recording what ChatLlamaCpp hands to ``Llama``."""
    loaded = []

    class Llama:
        def __init__(self, model_path, **params):
            if "broken" in model_path:
                raise RuntimeError("failed to load model")
            loaded.append({"model_path": model_path, **params})

    module = types.ModuleType("llama_cpp")
    module.Llama = Llama
    module.LlamaGrammar = object
    monkeypatch.setitem(sys.modules, "llama_cpp", module)
    return loaded


def test_llamacpp_keeps_the_gguf_rope_base_and_a_usable_context(tmp_path, fake_llama_cpp):
    path = tmp_path / "qwen.gguf"
    path.write_bytes(b"GGUF")
    model = get_chat_model(f"llamacpp:{path}")
    (params,) = fake_llama_cpp
    assert params["model_path"] == str(path)
    # 0 = "from the model"; ChatLlamaCpp's own 10000 would override Qwen2.5's 1e6.
    assert params["rope_freq_base"] == 0.0 and params["rope_freq_scale"] == 0.0
    assert params["n_ctx"] == 4096 and params["n_batch"] == 256
    assert model.temperature == 0 and params["verbose"] is False


def test_llamacpp_unloadable_file_is_one_line(tmp_path, fake_llama_cpp):
    path = tmp_path / "broken.gguf"
    path.write_bytes(b"not a model")
    with pytest.raises(ChatModelError) as info:
        get_chat_model(f"llamacpp:{path}")
    message = str(info.value)
    assert "\n" not in message and "failed to load model" in message
    assert message.endswith("(is it a complete .gguf file?)")


def test_llamacpp_real_library_rejects_a_bad_file(tmp_path):
    pytest.importorskip("llama_cpp")
    path = tmp_path / "garbage.gguf"
    path.write_bytes(b"this is not a gguf file" * 10)
    with pytest.raises(ChatModelError, match="cannot set up chat model"):
        get_chat_model(f"llamacpp:{path}")


# -- `videoscout models` -------------------------------------------------------------------------


def test_models_command_lists_chat_model_schemes(monkeypatch):
    from click.testing import CliRunner

    from videoscout.cli import models_commands
    from videoscout.cli.models_commands import models

    # The cache check imports open_clip and torch (seconds); it is tested in test_cli.py.
    monkeypatch.setattr(models_commands, "is_cached", lambda spec: False)

    result = CliRunner().invoke(models, [])
    assert result.exit_code == 0, result.output
    assert "Chat models (--llm / VIDEOSCOUT_LLM):" in result.output
    assert "ollama:NAME" in result.output and "llamacpp:/path/model.gguf" in result.output
    listing = json.loads(CliRunner().invoke(models, ["--json"]).output)
    assert listing["chat_default"] == "none"
    specs = [row["spec"] for row in listing["chat_models"]]
    assert specs[:3] == ["none", "ollama:NAME", "openai:NAME"]
