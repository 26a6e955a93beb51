"""The signature both shops put on a webhook: base64 of HMAC-SHA256 over the raw request body, keyed
with the secret the shop's admin shows (Shopify: `X-Shopify-Hmac-Sha256`, WooCommerce:
`X-WC-Webhook-Signature`). Checked on the bytes as received, before any parsing."""

from __future__ import annotations

import base64
import hashlib
import hmac


def signature(secret: str, body: bytes) -> str:
    """What the shop sends for `body` when it holds `secret`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_matches(secret: str, body: bytes, given: str | None) -> bool:
    """True when `given` is the body's signature; the comparison takes the same time whatever differs."""
    if not given:
        return False
    expected = signature(secret, body).encode("ascii")
    return hmac.compare_digest(expected, given.strip().encode("ascii", "replace"))
