"""Bot Jual WA: the library every function, the bridge and the CLI import.

Layers (design §5): ``domain`` (pure types and rules) and ``services`` (use cases over ports)
import no SDK; ``adapters`` talk to the outside world; ``bootstrap`` wires them from ``config``.
"""
