"""A mapper that stores each event's personal fields encrypted with its customer's data key.

Stored state keeps non-personal facts in clear JSON so reports survive erasure; the personal
fields of one event travel together as one AES-GCM blob under the key `personal`. After the
key is destroyed, those fields load back as None.
"""

from __future__ import annotations

import base64
import os
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder

from crm.keys import NONCE_BYTES, KeyRing

PERSONAL = "personal"


class PersonalDataError(RuntimeError):
    """Personal data was about to be stored for a customer without a data key."""


class PersonalDataMapper(Mapper[UUID]):
    """Encrypts the fields an event class lists in `personal_fields` (dotted paths allowed)."""

    def __init__(self, transcoder: Transcoder, keys: KeyRing) -> None:
        super().__init__(transcoder=transcoder)
        self.keys = keys

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        paths: tuple[str, ...] = getattr(type(domain_event), "personal_fields", ())
        if not paths:
            return super().to_stored_event(domain_event)
        state = _deep_copy_paths(dict(vars(domain_event)), paths)
        personal = {path: _pop_path(state, path) for path in paths}
        personal = {path: value for path, value in personal.items() if value is not None}
        if personal:
            customer_id = domain_event.originator_id
            cipher = self.keys.cipher_for(customer_id)
            if cipher is None:
                raise PersonalDataError(f"Customer {customer_id} has no data key.")
            plaintext = self.transcoder.encode(personal)
            nonce = os.urandom(NONCE_BYTES)
            sealed = nonce + cipher.encrypt(nonce, plaintext, customer_id.bytes)
            state[PERSONAL] = base64.b64encode(sealed).decode("ascii")
        shell = object.__new__(type(domain_event))
        object.__setattr__(shell, "__dict__", state)
        return super().to_stored_event(shell)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        domain_event = super().to_domain_event(stored_event)
        paths: tuple[str, ...] = getattr(type(domain_event), "personal_fields", ())
        if not paths:
            return domain_event
        state: dict[str, Any] = domain_event.__dict__
        personal = self.open_sealed(domain_event.originator_id, state.pop(PERSONAL, None))
        for path in paths:
            # A field made personal after an event was stored is still in clear: keep it.
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


def _get_path(state: dict[str, Any], path: str) -> Any:
    node: Any = state
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _deep_copy_paths(state: dict[str, Any], paths: tuple[str, ...]) -> dict[str, Any]:
    """Copy the nested dicts a dotted path runs through, so popping leaves the event intact."""
    for path in paths:
        parts = path.split(".")
        node = state
        for part in parts[:-1]:
            node[part] = dict(node[part])
            node = node[part]
    return state


def _pop_path(state: dict[str, Any], path: str) -> Any:
    *parents, leaf = path.split(".")
    node = state
    for part in parents:
        node = node[part]
    return node.pop(leaf, None)


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
