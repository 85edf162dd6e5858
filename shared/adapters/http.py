"""What every HTTP client of ours shares: one TLS context per process.

httpx builds a new ``ssl.SSLContext`` (loading the CA bundle, ~40 ms) for every ``Client``; an
instance that talks to Supabase, Atlantic, Upstash and Meta would pay that at every cold start for
each of them. One context, made on first use, serves them all.
"""

from __future__ import annotations

import functools
import ssl


@functools.lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """The verifying TLS context (certifi's CA bundle, as httpx uses by default)."""
    import httpx

    return httpx.create_ssl_context()
