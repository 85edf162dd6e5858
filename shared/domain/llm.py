"""What we ask a language model and what it answers, free of any SDK's types."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class ToolSpec:
    """A function the model may ask us to call; ``parameters`` is a JSON-schema object."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class ToolCall:
    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelMessage:
    """One entry of the conversation sent to the model: text, a tool call, or a tool's result."""

    role: Literal["user", "model"]
    text: str | None = None
    call: ToolCall | None = None
    result: dict[str, Any] | None = None  # {"name": ..., "response": {...}}


@dataclass(frozen=True)
class ModelRequest:
    system: str
    messages: tuple[ModelMessage, ...]
    tools: tuple[ToolSpec, ...] = ()
    max_output_tokens: int = 350
    temperature: float = 0.3

    def size(self) -> int:
        """Characters sent: instructions, conversation and tool declarations (the prompt size)."""
        turns = sum(len(t.text or "") + len(json.dumps(t.call.args if t.call else t.result or {}, ensure_ascii=False))
                    for t in self.messages)
        tools = sum(len(json.dumps({"n": s.name, "d": s.description, "p": s.parameters}, ensure_ascii=False))
                    for s in self.tools)
        return len(self.system) + turns + tools


@dataclass(frozen=True)
class ModelReply:
    text: str | None = None
    calls: tuple[ToolCall, ...] = ()
    prompt_tokens: int = 0
    output_tokens: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.output_tokens
