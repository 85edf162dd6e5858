"""The conversation: one turn's messages in, replies and the new state out.

Dependencies run one way: :mod:`.context` (the turn, its inputs and dependencies) ← the flows
(:mod:`.browse` → :mod:`.buy` → :mod:`.pay`, and :mod:`.account`) ← :mod:`.agent` (the model's
tools call the flows) and :mod:`.router` (the table of rules; the agent is injected through
:class:`Deps`, so the router never imports it).
"""

from shared.services.conversation.context import Deps, Limits, Reply, TurnAgent, TurnInput
from shared.services.conversation.router import Conversation, respond

__all__ = ["Conversation", "Deps", "Limits", "Reply", "TurnAgent", "TurnInput", "respond"]
