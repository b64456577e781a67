"""The fixed held-out split of WCXB dev, grouped by site domain.

A domain is held out when a seeded hash of it falls in the lowest HELD_OUT_SHARE of the
range, so the same pages are held out on every machine and every run, and no site has
pages on both sides.
"""

import hashlib

from . import settings


def is_held_out(domain: str) -> bool:
    digest = hashlib.sha256(f"{settings.SEED}:{domain}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < settings.HELD_OUT_SHARE
