"""A seeded purchase log drawn from the BG/NBD and Gamma-Gamma processes, fully vectorised.

Each customer gets a purchase rate λ ~ Gamma(r, 1/alpha) per week and a dropout probability
p ~ Beta(a, b); after every repeat purchase they leave with probability p. Spend per purchase
is Gamma(p_gg, ν) with ν ~ Gamma(q, 1/v). First purchases are spread over the first year of
the window. With CDNOW's shape parameters (r, a, b, p, q, v) and a faster clock (alpha in
weeks divided by ALPHA_SCALE) customers average about ten purchases in the four-year window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "v": 15.44}
ALPHA_SCALE = 15.0  # purchase rates 15 × CDNOW's: about ten purchases per customer in four years
WINDOW_DAYS = 4 * 365
ACQUISITION_DAYS = 365
FIRST_DAY = int(np.datetime64("2022-01-03", "D").astype(np.int64))


@dataclass(frozen=True)
class PurchaseLog:
    """Purchases of customers 1..n: customer key, day number (days since 1970-01-01), amount."""

    customer: NDArray[np.int64]
    day: NDArray[np.int64]
    amount: NDArray[np.float64]
    as_of: np.datetime64  # the last day of the window
    true_params: dict[str, float]

    def __len__(self) -> int:
        return len(self.customer)


def generate(n_customers: int, seed: int = 2026) -> PurchaseLog:
    """`n_customers` BG/NBD customers with day-granular purchases up to the window's last day."""
    rng = np.random.default_rng(seed)
    params = {**CDNOW, "alpha": CDNOW["alpha"] / ALPHA_SCALE}
    rate = rng.gamma(params["r"], 1.0 / params["alpha"], n_customers) / 7.0  # per day
    dropout = rng.beta(params["a"], params["b"], n_customers)
    first = rng.integers(0, ACQUISITION_DAYS, n_customers)
    horizon = (WINDOW_DAYS - 1 - first).astype(np.float64)

    # Repeat purchases: the first k of the Poisson arrivals in (0, horizon], where k is capped by
    # the dropout (alive for a Geometric(p) number of repeat purchases). The j-th arrival of N
    # uniform ones is horizon · S_j / S_{N+1} for S the partial sums of unit exponentials, and
    # S_{N+1} = S_k + Gamma(N + 1 - k): only k draws per customer are needed.
    arrivals = rng.poisson(rate * horizon)
    lifetime = rng.geometric(np.clip(dropout, 1e-12, 1.0))
    k = np.minimum(arrivals, lifetime)
    owner = np.repeat(np.arange(n_customers), k)
    steps = rng.exponential(1.0, int(k.sum()))
    sums = np.cumsum(steps)
    starts = np.cumsum(k) - k
    partial = sums - np.repeat(np.r_[0.0, sums][starts], k)  # S_1..S_k within each customer
    has = k > 0
    scale = np.ones(n_customers)
    scale[has] = partial[starts[has] + k[has] - 1] + rng.gamma(arrivals[has] + 1.0 - k[has])
    offset = np.ceil(horizon[owner] * partial / scale[owner]).astype(np.int64)  # days after the first

    customers = np.r_[np.arange(n_customers), owner]
    days = np.r_[first, first[owner] + offset]
    nu = rng.gamma(params["q"], 1.0 / params["v"], n_customers)
    amounts = np.round(rng.gamma(params["p"], 1.0 / nu[customers]), 2)
    order = np.lexsort((days, customers))
    return PurchaseLog(
        customer=customers[order].astype(np.int64) + 1,
        day=days[order].astype(np.int64) + FIRST_DAY,
        amount=amounts[order],
        as_of=np.datetime64(FIRST_DAY + WINDOW_DAYS - 1, "D"),
        true_params=params,
    )
