"""QRIS payloads as pictures: a block of characters for the terminal, a PNG for WhatsApp (segno)."""

from __future__ import annotations


def terminal(payload: str) -> str:
    """The QR code drawn with half blocks, two modules per character row."""
    import segno

    qr = segno.make(payload, error="m", micro=False)
    rows = [[bool(bit) for bit in row] for row in qr.matrix]
    width = len(rows[0]) + 4
    blank = [False] * width
    rows = [blank, blank] + [[False, False] + r + [False, False] for r in rows] + [blank, blank, blank]
    chars = {(False, False): "█", (True, False): "▄", (False, True): "▀", (True, True): " "}
    return "\n".join("".join(chars[(top, bottom)] for top, bottom in zip(rows[i], rows[i + 1]))
                     for i in range(0, len(rows) - 1, 2))


def png(payload: str, *, scale: int = 8) -> bytes:
    """The QR code as a PNG (what the customer scans in WhatsApp)."""
    import io

    import segno

    buffer = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
