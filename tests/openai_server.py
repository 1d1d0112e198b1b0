"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1, for tests over real HTTP.

It answers ``POST .../chat/completions`` from a queue of replies (text, tool calls or an HTTP
error), streamed as server-sent events when the request asks for ``stream``, and records every
request body. ``GET .../models`` lists the models it has been asked for.

    with ScriptedOpenAIServer(["Hello.", Reply.tool_call("search", {"query": "bird"})]) as server:
        model = get_chat_model("openai:toy-model", base_url=server.base_url)
        model.invoke("hi")                    # -> AIMessage("Hello.")
        server.requests[0]["messages"]        # what the model sent

A queued callable receives the request body and returns the reply, for scripts that depend on
what the model was asked. When the queue is empty the server answers ``default`` if one was
given, else HTTP 500 naming the exhausted script.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """One scripted answer: assistant text and/or tool calls, or an HTTP error."""

    content: str = ""
    tool_calls: tuple[tuple[str, str], ...] = ()  # (name, arguments as a JSON string)
    status: int = 200
    error: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def text(cls, content: str) -> Reply:
        return cls(content=content)

    @classmethod
    def tool_call(cls, name: str, arguments: Mapping[str, Any] | str, content: str = "") -> Reply:
        """A call of ``name``; a string ``arguments`` is sent as is (e.g. malformed JSON)."""
        return cls.parallel_calls(((name, arguments),), content)

    @classmethod
    def parallel_calls(
        cls, calls: Iterable[tuple[str, Mapping[str, Any] | str]], content: str = ""
    ) -> Reply:
        """Several calls in one reply (parallel tool calls)."""
        encoded = tuple(
            (name, args if isinstance(args, str) else json.dumps(args)) for name, args in calls
        )
        return cls(content=content, tool_calls=encoded)

    @classmethod
    def http_error(cls, status: int, message: str) -> Reply:
        """An OpenAI-style error body, e.g. ``http_error(404, "model 'x' not found")``."""
        return cls(status=status, error=message)


Script = Reply | str | Callable[[dict], Reply | str]


class ScriptedOpenAIServer:
    """Context manager: a threaded HTTP server on a free port that replays ``replies`` in order."""

    def __init__(self, replies: Iterable[Script] = (), *, default: Script | None = None) -> None:
        self._queue: deque[Script] = deque(replies)
        self._default = default
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.requests: list[dict] = []
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []  # of each chat request, e.g. "authorization"
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # -- script -------------------------------------------------------------------------------
    def enqueue(self, *replies: Script) -> None:
        with self._lock:
            self._queue.extend(replies)

    @property
    def pending(self) -> int:
        """Replies not yet served."""
        with self._lock:
            return len(self._queue)

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The port it listens on (kept after it stops, for messages that name the URL)."""
        assert self._port is not None, "server not started"
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> ScriptedOpenAIServer:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="scripted-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> ScriptedOpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- serving ------------------------------------------------------------------------------
    def _next_reply(self, body: dict) -> Reply:
        with self._lock:
            self.requests.append(body)
            script = self._queue.popleft() if self._queue else self._default
        if script is None:
            return Reply.http_error(500, "ScriptedOpenAIServer: no scripted reply left")
        if callable(script) and not isinstance(script, Reply):
            script = script(body)
        return Reply.text(script) if isinstance(script, str) else script

    def _completion(self, body: dict, reply: Reply) -> dict:
        message: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": f"call_{next(self._ids)}",
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }
                for name, arguments in reply.tool_calls
            ]
        return {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", ""),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if reply.tool_calls else "stop",
                    "logprobs": None,
                }
            ],
            "usage": _usage(body, reply),
        }

    def _chunks(self, body: dict, reply: Reply) -> list[dict]:
        """The completion as stream chunks: role, content, one chunk per tool call, finish."""
        base = {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body.get("model", ""),
        }

        def chunk(delta: dict, finish: str | None = None) -> dict:
            return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        chunks = [chunk({"role": "assistant", "content": ""})]
        if reply.content:
            chunks.append(chunk({"content": reply.content}))
        for index, (name, arguments) in enumerate(reply.tool_calls):
            call = {
                "index": index,
                "id": f"call_{next(self._ids)}",
                "type": "function",
                "function": {"name": name, "arguments": arguments},
            }
            chunks.append(chunk({"tool_calls": [call]}))
        chunks.append(chunk({}, "tool_calls" if reply.tool_calls else "stop"))
        if (body.get("stream_options") or {}).get("include_usage"):
            chunks.append({**base, "choices": [], "usage": _usage(body, reply)})
        return chunks

    def _models(self) -> dict:
        with self._lock:
            names = sorted({r.get("model", "") for r in self.requests} - {""})
        return {"object": "list", "data": [{"id": n, "object": "model"} for n in names]}


def _usage(body: dict, reply: Reply) -> dict:
    prompt = sum(len(str(m.get("content") or "").split()) for m in body.get("messages", []))
    completion = len(reply.content.split()) + sum(len(a) // 4 for _, a in reply.tool_calls)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _handler(server: ScriptedOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._json(200, server._models())
            else:
                self._json(404, _error_body(f"no route GET {self.path}", "not_found"))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            server.paths.append(self.path)
            server.headers.append({k.lower(): v for k, v in self.headers.items()})
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._json(404, _error_body(f"no route POST {self.path}", "not_found"))
                return
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError as exc:
                self._json(400, _error_body(f"invalid JSON: {exc}", "invalid_request_error"))
                return
            reply = server._next_reply(body)
            if reply.status != 200:
                kind = "not_found_error" if reply.status == 404 else "invalid_request_error"
                self._json(reply.status, _error_body(reply.error, kind), reply.headers)
            elif body.get("stream"):
                self._stream(server._chunks(body, reply))
            else:
                self._json(200, server._completion(body, reply), reply.headers)

        def _json(self, status: int, payload: dict, headers: Mapping[str, str] | None = None):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, chunks: list[dict]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()  # HTTP/1.0: the stream ends when the connection closes
            for item in chunks:
                self.wfile.write(f"data: {json.dumps(item)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler


def _error_body(message: str, kind: str) -> dict:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}
