"""A simulated Atlantic H2H that speaks the real HTTP protocol (a product feature: sellers
rehearse without spending money; the demo and the tests run on it)."""

from shared.adapters.sandbox.engine import SandboxEngine
from shared.adapters.sandbox.records import SandboxSettings
from shared.adapters.sandbox.server import Sandbox

__all__ = ["Sandbox", "SandboxEngine", "SandboxSettings"]
