"""Redacting an erased at-risk customer from a digest message: their section reads "erased customer"
(keeping the rank), their buttons and status lines go, the other customers' blocks stay as they were."""

from __future__ import annotations

from datetime import date

from bot.i18n import translator
from bot.services.risk_list import AtRiskCustomer
from handlers.slack.blocks import digest as blocks
from handlers.slack.digest_redaction import redact

DAY = date(2026, 3, 2)


def row(customer_id: int, name: str) -> AtRiskCustomer:
    return AtRiskCustomer(customer_id, f"C-{customer_id}", name, DAY, 120.0, 300.0, 0.4, "active", "at_risk")


def test_an_erased_at_risk_customer_loses_their_section_buttons_and_status_lines() -> None:
    t = translator("en")
    ann, bob = row(1, "Annabel Quist"), row(2, "Bob Berry")
    shown = [
        blocks.customer_section(t, 1, ann),
        blocks.customer_buttons(t, ann),
        blocks.customer_section(t, 2, bob),
        blocks.customer_buttons(t, bob),
    ]
    shown = blocks.with_status(shown, 1, "Assigned to <@U1>")
    shown = blocks.with_status(shown, 2, "Contacted by <@U1>")

    out = redact(shown, {1: set()}, "erased customer")

    assert "Annabel" not in str(out) and "C-1`" not in str(out)
    assert out[0] == {"type": "section", "text": {"type": "mrkdwn", "text": "1. _erased customer_"},
                      "block_id": "digest_c_1"}  # fmt: skip
    assert out[1:] == shown[3:]  # Bob's section, buttons and status line, untouched
    assert redact(out, {1: set()}, "erased customer") == out  # a second pass changes nothing
