"""The API's endpoints. A new route is one module with an `ENDPOINTS` list, added here."""

from __future__ import annotations

from handlers.api import coupons, customers, purchases, refunds
from handlers.api.endpoint import Endpoint

ENDPOINTS: list[Endpoint] = [
    *purchases.ENDPOINTS,
    *refunds.ENDPOINTS,
    *customers.ENDPOINTS,
    *coupons.ENDPOINTS,
]
