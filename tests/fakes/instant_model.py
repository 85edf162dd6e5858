"""A zero-latency language model for benchmarks: answers ``generate`` from the same scripted
bodies as the Gemini stand-in (tests/fakes/gemini.py), without HTTP, so what is measured is our
own server overhead per turn."""

from __future__ import annotations

from typing import Any

from shared.domain.llm import ModelReply, ModelRequest, ToolCall
from tests.fakes.gemini import text


class InstantModel:
    def __init__(self) -> None:
        self.queue: list[dict[str, Any]] = []
        self.requests: list[ModelRequest] = []

    def push(self, *bodies: dict[str, Any]) -> None:
        self.queue.extend(bodies)

    def generate(self, request: ModelRequest, *, key: str, model: str) -> ModelReply:
        self.requests.append(request)
        body = self.queue.pop(0) if self.queue else text("Ada yang bisa aku bantu kak?")
        parts = body["candidates"][0]["content"]["parts"]
        usage = body["usageMetadata"]
        calls = tuple(ToolCall(p["functionCall"]["name"], p["functionCall"].get("args", {}))
                      for p in parts if "functionCall" in p)
        return ModelReply(text=None if calls else "".join(p.get("text", "") for p in parts),
                          calls=calls, prompt_tokens=usage["promptTokenCount"],
                          output_tokens=usage["candidatesTokenCount"])
