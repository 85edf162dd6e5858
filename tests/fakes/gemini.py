"""A scripted Gemini: ``POST /v1beta/models/<model>:generateContent`` as the Generative Language
API answers it, so the real google-genai SDK runs unchanged against it.

Replies come from a queue (``push``) or from ``responder(request) -> body``; per-key failures
(``fail``) answer 429 with QuotaFailure + RetryInfo details, or 500, exactly in the API's error
shape. Every request is recorded with the API key it carried.
"""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any, Callable

from tests.fakes.http import JsonStandIn

_PATH = re.compile(r"^/(v1|v1beta)/models/([^/:]+):generateContent$")


def text(t: str, tokens: tuple[int, int] = (420, 30)) -> dict[str, Any]:
    return _candidate([{"text": t}], tokens)


def call(name: str, args: dict[str, Any], tokens: tuple[int, int] = (420, 12), say: str | None = None) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"text": say}] if say else []
    return _candidate(parts + [{"functionCall": {"name": name, "args": args}}], tokens)


def _candidate(parts: list[dict[str, Any]], tokens: tuple[int, int]) -> dict[str, Any]:
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": tokens[0], "candidatesTokenCount": tokens[1],
                          "totalTokenCount": sum(tokens)},
        "modelVersion": "gemini-stub",
    }


def rate_limited(retry_seconds: float = 37.0, *, daily: bool = False) -> tuple[int, dict[str, Any]]:
    quota = "GenerateRequestsPerDayPerProjectPerModel-FreeTier" if daily else "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"
    return 429, {"error": {
        "code": 429,
        "message": f"You exceeded your current quota. Please retry in {retry_seconds}s.",
        "status": "RESOURCE_EXHAUSTED",
        "details": [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure",
             "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                             "quotaId": quota, "quotaValue": "20"}]},
            {"@type": "type.googleapis.com/google.rpc.Help",
             "links": [{"description": "Learn more", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{int(retry_seconds)}s"},
        ]}}


def server_error() -> tuple[int, dict[str, Any]]:
    return 500, {"error": {"code": 500, "message": "An internal error has occurred.", "status": "INTERNAL"}}


class GeminiStandIn(JsonStandIn):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[dict[str, Any]] = []
        self.queue: list[dict[str, Any]] = []
        self.failures: dict[str, tuple[int, dict[str, Any]]] = {}
        self.responder: Callable[[dict[str, Any]], dict[str, Any]] | None = None
        self.delay = 0.0  # seconds to think before answering
        self._lock = threading.Lock()

    def push(self, *bodies: dict[str, Any]) -> None:
        with self._lock:
            self.queue.extend(bodies)

    def fail(self, key: str, failure: tuple[int, dict[str, Any]] | None) -> None:
        """Answer every request with ``key`` with ``failure`` (``None`` heals it)."""
        with self._lock:
            if failure is None:
                self.failures.pop(key, None)
            else:
                self.failures[key] = failure

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        match = _PATH.match(path.split("?")[0])
        if not match:
            return 404, {"error": {"code": 404, "message": f"path {path} not found", "status": "NOT_FOUND"}}
        key = headers.get("x-goog-api-key", "")
        body = json.loads(raw or b"{}")
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.requests.append({"version": match.group(1), "model": match.group(2), "key": key, "body": body})
            if not key:
                return 403, {"error": {"code": 403, "message": "Method doesn't allow unregistered callers.",
                                       "status": "PERMISSION_DENIED"}}
            if key in self.failures:
                return self.failures[key]
            if self.queue:
                return 200, self.queue.pop(0)
        if self.responder is not None:
            return 200, self.responder(body)
        return 200, text("Ada yang bisa aku bantu kak? 😊")
