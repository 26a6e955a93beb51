"""The counter poster (SPEC §9 "At the counter"): render.py draws it, fonts.py finds fonts for it."""

from typing import Final

JOIN_CODE: Final = "join"
"""The `/start` parameter of the poster's link (`t.me/<bot>?start=join`): a plain welcome, like
`/start` alone. Staff link codes are 16 random characters, so they never collide with it."""
