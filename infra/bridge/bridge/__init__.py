"""The WhatsApp bridge: one WhatsApp Web session made to look like Meta's Cloud API.

Inbound, session events become Cloud API webhook bodies, committed to the bridge's own outbox and
delivered signed, in order per chat, with retries (``delivery``). Outbound, the Graph API subset
our functions call through pywa is served over the session (``graph``). Two sessions implement
one port (``session``): ``neonize`` (the real web protocol) and ``webphone`` (a simulated phone
with a chat page, for ``make dev`` and tests). ``app`` wires them; ``python -m bridge`` runs it.
"""
