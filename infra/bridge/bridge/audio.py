"""Any audio → an Ogg/Opus voice note WhatsApp delivers everywhere (mono, 16 kHz, 24 kb/s; iOS
refuses 48 kHz and libopus's default packets), with ffmpeg."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path


class AudioError(ValueError):
    """ffmpeg could not read the audio."""


def voice_note(data: bytes, *, timeout: float = 15.0) -> tuple[bytes, int]:
    """(Ogg/Opus bytes, whole seconds)."""
    with tempfile.TemporaryDirectory(prefix="bridge-audio-") as tmp:
        src, out = Path(tmp) / "in", Path(tmp) / "out.ogg"
        src.write_bytes(data)
        try:
            subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", str(src),
                            "-vn", "-ac", "1", "-ar", "16000", "-c:a", "libopus", "-b:a", "24k",
                            "-application", "voip", str(out)], check=True, capture_output=True, timeout=timeout)
            probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json",
                                    str(out)], check=True, capture_output=True, timeout=timeout)
        except FileNotFoundError as exc:
            raise AudioError("ffmpeg is not installed") from exc
        except subprocess.CalledProcessError as exc:
            raise AudioError(exc.stderr.decode(errors="replace").strip()[-300:] or "unreadable audio") from exc
        except subprocess.TimeoutExpired as exc:
            raise AudioError("ffmpeg took too long") from exc
        seconds = float(json.loads(probe.stdout or b"{}").get("format", {}).get("duration") or 0)
        return out.read_bytes(), max(1, round(seconds))
