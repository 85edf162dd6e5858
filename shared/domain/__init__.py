"""Pure types and rules: messages, turns, money. No I/O, no SDKs."""
