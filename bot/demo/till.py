"""The playground's till: a sale at the counter, posted to the real `POST /api/v1/purchases` with an
API key the demo made for itself (`demo-till`, in the demo's database), as a shop's till would.

Only a key's hash is stored, so a restarted demo cannot know the key of its last run: the first
start creates the `demo-till` key, every later start puts a fresh key's hash on that same record
(the till stays one name, `api:demo-till`, in the audit log).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import httpx
from sqlmodel import select

from bot.clock import Clock
from bot.demo.cast import DemoCustomer
from bot.services.api_keys import KEY_PREFIX, SHOWN_CHARS, create_api_key, key_hash
from bot.services.audit import record_audit
from storage.models import ApiKey
from storage.uow import UnitOfWork

TILL_KEY_NAME: Final = "demo-till"
SALE_AMOUNT: Final = Decimal("25.00")
PURCHASES_PATH: Final = "/api/v1/purchases"


def demo_till_key(uow: UnitOfWork, clock: Clock) -> str:
    """The key the demo's till uses in this run (see the module's docstring)."""
    with uow:
        record = uow.session.exec(select(ApiKey).where(ApiKey.name == TILL_KEY_NAME)).first()
        if record is None:
            return create_api_key(uow, clock, name=TILL_KEY_NAME, actor="demo").key
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        record.key_hash, record.prefix, record.revoked_at = key_hash(key), key[:SHOWN_CHARS], None
        uow.session.add(record)
        record_audit(uow, actor="demo", action="apikey.rotate", at=clock.now(), name=TILL_KEY_NAME)
        return key


class TillRefused(Exception):
    """The API did not record the sale; the message is its error, for the control strip."""


@dataclass(frozen=True)
class Sale:
    customer: DemoCustomer
    body: dict[str, Any]
    """The API's answer (PurchaseOut)."""

    def describe(self) -> str:
        points, balance = self.body["points_earned"], self.body["balance"]
        return (
            f"the till sold {self.body['amount']} to {self.customer.name} through POST {PURCHASES_PATH} "
            f"(order {self.body['order_id']}, key {TILL_KEY_NAME}): +{points:,} points, balance {balance:,}"
        )


async def sell(
    client: httpx.AsyncClient, base_url: str, key: str, customer: DemoCustomer, amount: Decimal = SALE_AMOUNT
) -> Sale:
    """Post one sale to the running API, as a till would: the customer by their id, or by phone for
    someone not in the database yet (the API then creates them, and the phone links them later)."""
    who: dict[str, str] = (
        {"customer_id": customer.customer_id}
        if customer.customer_id
        else {"phone": customer.phone, "name": customer.name}
    )
    body = {"customer": who, "order_id": f"demo-till-{secrets.token_hex(4)}", "amount": f"{amount:.2f}"}
    try:
        answer = await client.post(
            f"{base_url}{PURCHASES_PATH}", json=body, headers={"Authorization": f"Bearer {key}"}
        )
    except httpx.HTTPError as exc:
        raise TillRefused(f"the API did not answer: {exc}") from None
    data = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
    if answer.status_code not in (200, 201):
        raise TillRefused(f"the API answered {answer.status_code}: {data.get('error', answer.text[:200])}")
    return Sale(customer, data)
