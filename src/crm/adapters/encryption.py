"""Per-customer data keys, wrapped by a master key, and the ring that caches them."""

from __future__ import annotations

import hashlib
import os
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Iterable
from threading import Lock
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
KEY_BYTES = 32
EQUALITY_NONCE = bytes(NONCE_BYTES)


def master_key_id(master_key: bytes) -> str:
    """A short, non-secret name for a master key, stored beside each key it wrapped."""
    return hashlib.sha256(b"asiakassilma-master-key-id" + master_key).hexdigest()[:16]


def seal(key: bytes, plaintext: bytes, associated: bytes) -> bytes:
    """AES-256-GCM encrypt with a fresh nonce; the nonce leads the result."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, associated)


def unseal(key: bytes, sealed: bytes, associated: bytes) -> bytes:
    """Reverse `seal`; raises `cryptography.exceptions.InvalidTag` on tampering."""
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], associated)


class UnknownMasterKeyError(RuntimeError):
    """A wrapped data key matches none of the configured master keys."""


class MasterKeyMismatchError(UnknownMasterKeyError):
    """The store holds data keys and the configured master keys unwrap none of them: the
    process was started with the wrong master key and must not read or write."""


class KeyRing(ABC):
    """Creates, finds and destroys customers' data keys; storage is left to subclasses.

    Unwrapped keys are cached (bounded in size and age) because every personal field read
    needs one. A destroyed key is forgotten by this process at once; other processes forget
    it when their entry is older than `cache_seconds`, and nothing can be written for an
    erased customer meanwhile because the aggregate refuses new events.
    """

    cache_size = 20_000
    """About 2.7 kB per cached cipher, so at most ~55 MB; a projection batch (5,000 events)
    needs at most that many customers' keys at once."""
    cache_seconds = 60.0

    def __init__(self, master_key: bytes, previous_master_keys: Iterable[bytes] = ()) -> None:
        self.previous_master_keys = list(previous_master_keys)
        if any(len(key) != KEY_BYTES for key in (master_key, *self.previous_master_keys)):
            raise ValueError("The master key must be 32 bytes (AES-256).")
        self.master_key = master_key
        self.master_key_id = master_key_id(master_key)
        # customer -> (cipher or None when destroyed, monotonic time the entry expires,
        # equality key or None when destroyed)
        self._cache: OrderedDict[UUID, tuple[AESGCM | None, float, bytes | None]] = OrderedDict()
        self._lock = Lock()

    # Storage, one implementation per database ---------------------------------------------

    @abstractmethod
    def _load_wrapped(self, customer_ids: list[UUID]) -> dict[UUID, bytes]:
        """Wrapped keys of those customers that still have one."""

    @abstractmethod
    def _insert_wrapped(self, wrapped: dict[UUID, bytes], key_id: str) -> set[UUID]:
        """Store wrapped keys for customers that have none yet (never overwrite); returns
        the customers whose key was stored."""

    @abstractmethod
    def _delete_wrapped(self, customer_id: UUID) -> bool:
        """Delete a customer's wrapped key; True if there was one."""

    @abstractmethod
    def _sample_per_master_key(self) -> dict[str, tuple[UUID, bytes]]:
        """One wrapped key (customer id, wrapped key) per master key id found in the store."""

    # Public -----------------------------------------------------------------------------

    def cipher_for(self, customer_id: UUID) -> AESGCM | None:
        """The customer's cipher, or None when the key was destroyed (or never existed)."""
        entry = self._entry(customer_id)
        return entry[0] if entry else None

    def equality_key(self, customer_id: UUID) -> bytes | None:
        """A key for keyed hashes of the customer's values, gone with the data key.

        Derived from the data key by encrypting a fixed text under a nonce reserved for it
        (all-zero; sealing draws random nonces, which meet it with probability 2**-96), so
        no second key is stored or destroyed; it is cached beside the cipher.
        """
        entry = self._entry(customer_id)
        return entry[2] if entry else None

    def _entry(self, customer_id: UUID) -> tuple[AESGCM | None, float, bytes | None] | None:
        with self._lock:
            entry = self._fresh(customer_id)
            if entry is not None:
                self._cache.move_to_end(customer_id)
                return entry
        self.prefetch([customer_id])
        with self._lock:
            return self._cache.get(customer_id)

    def prefetch(self, customer_ids: Iterable[UUID]) -> None:
        """Load many customers' keys in one round trip (replays and projections)."""
        with self._lock:
            missing = list({cid for cid in customer_ids if self._fresh(cid) is None})
        if not missing:
            return
        wrapped = self._load_wrapped(missing)
        with self._lock:
            for customer_id in missing:
                sealed = wrapped.get(customer_id)
                self._remember(
                    customer_id, AESGCM(self.unwrap(customer_id, sealed)) if sealed else None
                )

    def ensure_keys(self, customer_ids: Iterable[UUID]) -> None:
        """Give every listed customer a data key, creating those that are missing."""
        ids = list(dict.fromkeys(customer_ids))
        self.prefetch(ids)
        with self._lock:
            missing = [cid for cid in ids if (self._fresh(cid) or (None, 0.0))[0] is None]
        self.create_keys(missing)

    def create_keys(self, customer_ids: Iterable[UUID]) -> None:
        """Give new customers data keys without first reading theirs: where a concurrent
        writer stored one already, its key is read back and counts."""
        missing = list(dict.fromkeys(customer_ids))
        if not missing:
            return
        plain = {cid: AESGCM.generate_key(256) for cid in missing}
        master = AESGCM(self.master_key)
        fresh = {}
        for cid, key in plain.items():
            nonce = os.urandom(NONCE_BYTES)
            fresh[cid] = nonce + master.encrypt(nonce, key, cid.bytes)
        stored = self._insert_wrapped(fresh, self.master_key_id)
        with self._lock:
            for cid in missing:
                self._cache.pop(cid, None)
            for cid in stored:
                self._remember(cid, AESGCM(plain[cid]))
        # Read back those a concurrent writer stored first: its key is the one that counts.
        self.prefetch([cid for cid in missing if cid not in stored])

    def check_master_key(self) -> int:
        """Refuse a master key that unwraps none of the stored data keys.

        Returns how many master keys wrapped the stored keys (0 for an empty store, where any
        master key is right). Raises `MasterKeyMismatchError` when keys are stored and none of
        them opens with the configured master keys: reads would fail and new customers would
        be sealed under a key the other processes do not have.
        """
        samples = self._sample_per_master_key()
        for customer_id, sealed in samples.values():
            try:
                self.unwrap(customer_id, sealed)
            except UnknownMasterKeyError:
                continue
            return len(samples)
        if samples:
            raise MasterKeyMismatchError(
                f"The configured master key ({self.master_key_id}) unwraps none of the stored"
                f" data keys (wrapped by {', '.join(sorted(samples))})."
            )
        return 0

    def unwrap(self, customer_id: UUID, sealed: bytes) -> bytes:
        """A data key in clear; during a master-key rotation the previous keys are tried too."""
        for master in (self.master_key, *self.previous_master_keys):
            try:
                return unseal(master, sealed, customer_id.bytes)
            except InvalidTag:
                continue
        raise UnknownMasterKeyError(f"No configured master key unwraps {customer_id}'s key.")

    def rewrap(self, customer_id: UUID, sealed: bytes) -> bytes:
        """The same data key wrapped by the current master key (a rotation step)."""
        return seal(self.master_key, self.unwrap(customer_id, sealed), customer_id.bytes)

    def forget(self, customer_id: UUID) -> None:
        """Drop a cached key without destroying it (e.g. another process erased it)."""
        with self._lock:
            self._cache.pop(customer_id, None)

    def destroy(self, customer_id: UUID) -> bool:
        """Destroy the customer's key so its personal data can never be decrypted again."""
        existed = self._delete_wrapped(customer_id)
        with self._lock:
            self._remember(customer_id, None)
        return existed

    def _fresh(self, customer_id: UUID) -> tuple[AESGCM | None, float, bytes | None] | None:
        """The cache entry if present and not expired (caller holds the lock)."""
        entry = self._cache.get(customer_id)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry

    def _remember(self, customer_id: UUID, cipher: AESGCM | None) -> None:
        equality = None
        if cipher is not None:
            equality = cipher.encrypt(EQUALITY_NONCE, b"equality", customer_id.bytes)
        self._cache[customer_id] = (cipher, time.monotonic() + self.cache_seconds, equality)
        self._cache.move_to_end(customer_id)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)


class InMemoryKeyRing(KeyRing):
    """Keys in a dict: for unit tests on the in-memory event store."""

    def __init__(self, master_key: bytes, previous_master_keys: Iterable[bytes] = ()) -> None:
        super().__init__(master_key, previous_master_keys)
        self.wrapped: dict[UUID, bytes] = {}

    def _load_wrapped(self, customer_ids: list[UUID]) -> dict[UUID, bytes]:
        return {cid: self.wrapped[cid] for cid in customer_ids if cid in self.wrapped}

    def _insert_wrapped(self, wrapped: dict[UUID, bytes], key_id: str) -> set[UUID]:
        stored = {cid for cid in wrapped if cid not in self.wrapped}
        for cid in stored:
            self.wrapped[cid] = wrapped[cid]
        return stored

    def _delete_wrapped(self, customer_id: UUID) -> bool:
        return self.wrapped.pop(customer_id, None) is not None

    def _sample_per_master_key(self) -> dict[str, tuple[UUID, bytes]]:
        # The in-memory ring does not track which master key wrapped each key; one sample
        # is enough to tell a wrong master key from a right one.
        return {"stored": next(iter(self.wrapped.items()))} if self.wrapped else {}
