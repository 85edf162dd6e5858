"""Gemini over google-genai: one client per API key, manual function calling, explicit timeout.

The SDK is imported on first use (it costs ~0.4 s). The API version is pinned (``v1beta``: the
SDK's default path changed between releases), automatic function calling is off, and the SDK
does not retry; failover belongs to :mod:`shared.services.failover`. Errors are translated here:
429 → :class:`ModelRateLimited` (with the RetryInfo delay, and whether the quota is per day), other
4xx → :class:`ModelRefused`, 5xx / timeouts / network → :class:`ModelUnavailable`.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from shared.domain.llm import ModelReply, ModelRequest, ToolCall, ToolSpec, ModelMessage
from shared.errors import ModelRateLimited, ModelRefused, ModelUnavailable

API_VERSION = "v1beta"
_TRANSPORT_MODULES = ("httpx", "httpx2", "httpcore", "httpcore2", "h11", "h2", "ssl", "socket")


def _schema(spec: dict[str, Any]) -> Any:
    from google.genai import types

    kwargs: dict[str, Any] = {"type": spec.get("type", "object").upper()}
    if "description" in spec:
        kwargs["description"] = spec["description"]
    if "properties" in spec:
        kwargs["properties"] = {name: _schema(sub) for name, sub in spec["properties"].items()}
    if spec.get("required"):
        kwargs["required"] = list(spec["required"])
    if "enum" in spec:
        kwargs["enum"] = list(spec["enum"])
    if "items" in spec:
        kwargs["items"] = _schema(spec["items"])
    return types.Schema(**kwargs)


def _content(turn: ModelMessage) -> Any:
    from google.genai import types

    if turn.call is not None:
        part = types.Part(function_call=types.FunctionCall(name=turn.call.name, args=turn.call.args))
    elif turn.result is not None:
        part = types.Part(function_response=types.FunctionResponse(name=turn.result["name"],
                                                                   response=turn.result.get("response", {})))
    else:
        part = types.Part(text=turn.text or "")
    return types.Content(role=turn.role, parts=[part])


def _retry_info(details: Any, message: str | None) -> tuple[float | None, bool]:
    """The delay RetryInfo asks for, and whether a QuotaFailure names a per-day quota."""
    delay, daily = None, False
    error = details.get("error", details) if isinstance(details, dict) else {}
    for detail in error.get("details", []) if isinstance(error, dict) else []:
        kind = str(detail.get("@type", ""))
        if kind.endswith("RetryInfo"):
            match = re.match(r"([\d.]+)s", str(detail.get("retryDelay", "")))
            delay = float(match.group(1)) if match else delay
        if kind.endswith("QuotaFailure"):
            daily = daily or any("perday" in str(v.get("quotaId", "")).lower().replace("_", "")
                                 for v in detail.get("violations", []))
    if delay is None and message:
        match = re.search(r"retry in ([\d.]+)\s*s", message)
        delay = float(match.group(1)) if match else None
    return delay, daily


class GeminiModel:
    """Implements :class:`shared.ports.LanguageModel`."""

    def __init__(self, *, base_url: str | None = None, timeout: float = 20.0) -> None:
        self._base_url = base_url
        self._timeout_ms = int(timeout * 1000)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._declarations: dict[tuple[str, ...], Any] = {}

    def _client(self, key: str) -> Any:
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                from google import genai
                from google.genai import types

                options = types.HttpOptions(api_version=API_VERSION, timeout=self._timeout_ms,
                                            base_url=self._base_url)
                client = self._clients[key] = genai.Client(api_key=key, http_options=options)
            return client

    def _tools(self, tools: tuple[ToolSpec, ...]) -> Any:
        from google.genai import types

        names = tuple(t.name for t in tools)
        if names not in self._declarations:
            self._declarations[names] = [types.Tool(function_declarations=[
                types.FunctionDeclaration(name=t.name, description=t.description, parameters=_schema(t.parameters))
                for t in tools])]
        return self._declarations[names]

    def generate(self, request: ModelRequest, *, key: str, model: str) -> ModelReply:
        from google.genai import errors, types

        config = types.GenerateContentConfig(
            system_instruction=request.system,
            tools=self._tools(request.tools) if request.tools else None,
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
            temperature=request.temperature,
            max_output_tokens=request.max_output_tokens,
        )
        try:
            response = self._client(key).models.generate_content(
                model=model, contents=[_content(t) for t in request.messages], config=config)
        except errors.ClientError as exc:
            if exc.code == 429:
                delay, daily = _retry_info(exc.details, exc.message)
                raise ModelRateLimited(f"429 {exc.status}", retry_after=delay, daily=daily) from exc
            raise ModelRefused(f"{exc.code} {exc.status}: {exc.message}") from exc
        except errors.APIError as exc:
            raise ModelUnavailable(f"{exc.code} {exc.status}") from exc
        except Exception as exc:
            if type(exc).__module__.split(".")[0] in _TRANSPORT_MODULES or isinstance(exc, (OSError, TimeoutError)):
                raise ModelUnavailable(f"{type(exc).__name__}: {exc}") from exc
            raise
        calls = tuple(ToolCall(fc.name or "", dict(fc.args or {})) for fc in (response.function_calls or []))
        text = None
        if not calls:
            parts = [p.text for c in (response.candidates or [])[:1] for p in (c.content.parts if c.content else []) or []
                     if getattr(p, "text", None)]
            text = "".join(parts) or None
        usage = response.usage_metadata
        return ModelReply(text=text, calls=calls,
                          prompt_tokens=int(getattr(usage, "prompt_token_count", 0) or 0),
                          output_tokens=int(getattr(usage, "candidates_token_count", 0) or 0))
