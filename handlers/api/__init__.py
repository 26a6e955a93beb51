"""The HTTP API for tills and online shops under /api/v1 (SPEC §9): a thin adapter over the services."""

from handlers.api.mount import PREFIX, api_routes

__all__ = ["PREFIX", "api_routes"]
