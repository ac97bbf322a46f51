"""A mapper that stores each event's personal fields encrypted with its customer's data key.

Stored state keeps non-personal facts in clear JSON so reports survive erasure; the personal
fields of one event travel together as one AES-GCM blob under the key `personal`. After the
key is destroyed, those fields load back as None. A hashed field (`hashed_fields`: client-chosen
ids that rules compare) is sealed the same way and also stored in clear as a keyed hash under
the customer's data key ("h:" and 32 hex digits), which it loads back as once the key is gone.
"""

from __future__ import annotations

import base64
import functools
import hmac
import os
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic

from crm.adapters.encryption import NONCE_BYTES, KeyRing

PERSONAL = "personal"
HASH_PREFIX = "h:"


def keyed_hash(equality_key: bytes, value: str) -> str:
    """The clear stand-in of a hashed field's value: equal values give equal hashes within
    one customer, and nothing links a hash to its value once the customer's key is gone."""
    return HASH_PREFIX + hmac.digest(equality_key, value.encode(), "sha256").hex()[:32]


class PersonalDataError(RuntimeError):
    """Personal data was about to be stored for a customer without a data key."""


class PersonalDataMapper(Mapper[UUID]):
    """Encrypts the fields an event class lists in `personal_fields` (dotted paths allowed)."""

    def __init__(self, transcoder: Transcoder, keys: KeyRing) -> None:
        super().__init__(transcoder=transcoder)
        self.keys = keys

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        # The library's `to_stored_event`, done in one pass over one copy of the state: the
        # same keys in the same order, with the personal fields sealed under `personal`.
        cls = type(domain_event)
        state = dict(vars(domain_event))
        paths = _split_paths(getattr(cls, "personal_fields", ()))
        hashed: tuple[str, ...] = getattr(cls, "hashed_fields", ())
        if paths or hashed:
            personal = {}
            if hashed:
                equality_key = self.keys.equality_key(domain_event.originator_id)
                if equality_key is None:
                    raise PersonalDataError(f"Customer {domain_event.originator_id} has no key.")
                for name in hashed:
                    value = state.get(name)
                    if value is not None:
                        personal[name] = value
                        state[name] = keyed_hash(equality_key, value)
            for path, parents, leaf in paths:
                node = state
                for part in parents:
                    # Copy the nested dicts a dotted path runs through, so popping leaves
                    # the event intact.
                    node[part] = dict(node[part])
                    node = node[part]
                value = node.pop(leaf, None)
                if value is not None:
                    personal[path] = value
            if personal:
                state[PERSONAL] = self.seal(domain_event.originator_id, personal)
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = getattr(cls, "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        stored_state = self.transcoder.encode(state)
        if self.compressor:
            stored_state = self.compressor.compress(stored_state)
        if self.cipher:
            stored_state = self.cipher.encrypt(stored_state)
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=get_topic(cls),
            state=stored_state,
        )

    def seal(self, customer_id: UUID, personal: dict[str, Any]) -> str:
        """Personal fields encrypted with the customer's data key, as base64 text (what
        `open_sealed` reads back)."""
        cipher = self.keys.cipher_for(customer_id)
        if cipher is None:
            raise PersonalDataError(f"Customer {customer_id} has no data key.")
        plaintext = self.transcoder.encode(personal)
        nonce = os.urandom(NONCE_BYTES)
        sealed = nonce + cipher.encrypt(nonce, plaintext, customer_id.bytes)
        return base64.b64encode(sealed).decode("ascii")

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        domain_event = super().to_domain_event(stored_event)
        paths = sealed_paths(type(domain_event))
        if not paths:
            return domain_event
        state: dict[str, Any] = domain_event.__dict__
        personal = self.open_sealed(domain_event.originator_id, state.pop(PERSONAL, None))
        for path in paths:
            # A field made personal after an event was stored is still in clear: keep it; a
            # hashed field whose key is gone reads as its keyed hash.
            _put_path(state, path, personal.get(path, _get_path(state, path)))
        return domain_event

    def personal_fields(
        self, customer_id: UUID, paths: tuple[str, ...], stored: dict[str, Any]
    ) -> dict[str, Any]:
        """The personal fields of one event from the part of its stored state that holds
        them (the sealed blob and any field stored in clear), as `to_domain_event` reads
        them: None where the key is destroyed or the field is empty."""
        personal = self.open_sealed(customer_id, stored.get(PERSONAL))
        return {path: personal.get(path, _get_path(stored, path)) for path in paths}

    def open_sealed(self, customer_id: UUID, sealed_text: str | None) -> dict[str, Any]:
        """Decrypt an event's sealed personal fields; empty when there are none or the key
        is destroyed."""
        if sealed_text is None:
            return {}
        cipher = self.keys.cipher_for(customer_id)
        if cipher is None:
            return {}
        sealed = base64.b64decode(sealed_text)
        plaintext = cipher.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], customer_id.bytes)
        personal: dict[str, Any] = self.transcoder.decode(plaintext)
        return personal


@functools.cache
def sealed_paths(cls: type) -> tuple[str, ...]:
    """Every path an event class seals: its personal fields, then its hashed fields."""
    return (*getattr(cls, "personal_fields", ()), *getattr(cls, "hashed_fields", ()))


def _get_path(state: dict[str, Any], path: str) -> Any:
    node: Any = state
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


@functools.cache
def _split_paths(paths: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...], str], ...]:
    """Each dotted path with the keys of the dicts it runs through and its last key."""
    split = []
    for path in paths:
        *parents, leaf = path.split(".")
        split.append((path, tuple(parents), leaf))
    return tuple(split)


def _put_path(state: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = state
    for part in parents:
        node = node[part]
    node[leaf] = value


class PublicDataMapper(PersonalDataMapper):
    """Decodes events without decrypting personal fields (they read as None): faster, for
    views that only need the non-personal facts."""

    def __init__(self, mapper: PersonalDataMapper) -> None:
        super().__init__(mapper.transcoder, mapper.keys)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        domain_event = Mapper.to_domain_event(self, stored_event)
        paths: tuple[str, ...] = getattr(type(domain_event), "personal_fields", ())
        state: dict[str, Any] = domain_event.__dict__
        state.pop(PERSONAL, None)
        for path in paths:
            _put_path(state, path, None)
        return domain_event
