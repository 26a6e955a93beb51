"""Typed errors of the analytics package; services turn them into polite messages."""

from __future__ import annotations


class AnalyticsError(Exception):
    """Base class: the numbers cannot be produced for the data given."""


class InvalidInput(AnalyticsError, ValueError):
    """Arrays of the wrong shape, non-finite values or impossible histories (recency > T)."""


class NotEnoughData(AnalyticsError):
    """The data cannot identify the model: too few customers, no repeat buyers, no spend."""


class NumericalError(AnalyticsError):
    """A computation left the range where it is numerically reliable (we never return NaN)."""
