"""Master-key rotation as a use case over the PostgreSQL key ring."""

from __future__ import annotations

import os

from api.bootstrap.wiring import Services
from crm.adapters.postgres.data_keys import PostgresKeyRing
from crm.application.key_rotation import rewrap_data_keys
from tests.factories import provenance, unique


def test_rotation_rewraps_every_data_key_in_batches_until_none_is_left(
    services: Services,
) -> None:
    services.crm.register_customer(
        provenance(), customer_kind="person", customer_type="individual", name=unique(), email=None
    )
    old = services.key_ring.master_key
    new = os.urandom(32)
    rotating = PostgresKeyRing(services.pool, new, [old])
    waiting = rotating.remaining_to_rewrap()
    assert waiting >= 1

    rotation = rewrap_data_keys(rotating, batch_size=1)

    assert rotation.rewrapped == waiting
    assert rotation.master_key_id == rotating.master_key_id
    assert rotating.remaining_to_rewrap() == 0
    # Put the session's master key back for the other tests.
    back = rewrap_data_keys(PostgresKeyRing(services.pool, old, [new]))
    assert back.rewrapped >= waiting
