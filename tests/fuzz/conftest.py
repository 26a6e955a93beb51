"""Property-based fuzzing (issue 13) with hypothesis: deterministic (derandomized, no example
database), and bounded so the whole directory runs in well under 30 seconds."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "fuzz",
    derandomize=True,
    database=None,
    deadline=None,  # a loaded CI machine is slow; speed is asserted where it is promised
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("fuzz")
