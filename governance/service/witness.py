"""A witness (C2SP tlog-witness): it keeps the last checkpoint it cosigned per log, checks that each new
one extends it, and cosigns it (C2SP tlog-cosignature, Ed25519 ``cosignature/v1``).

A log operator who holds the database and the signing key could show different histories to different
people, or rewrite history, and nobody would see unless someone kept an older checkpoint. A witness is
that someone, on purpose: it cosigns a checkpoint only if a consistency proof shows it extends the
last one the witness cosigned, and it refuses a second, different checkpoint of a size it has already
cosigned (a fork). Clients that require cosignatures from witnesses they trust cannot be shown a
history the witnesses did not see grow.

The protocol is ``POST /add-checkpoint`` with a body of ``old <size>``, the consistency proof (one
base64 hash a line), a blank line and the signed checkpoint; the answer is the witness's cosignature
line, or 404 (unknown log), 403 (no trusted log signature), 400 (old size above the checkpoint's),
409 (``old`` is not the size the witness last cosigned, with that size as ``text/x.tlog.size``; or the
same size with another root: a fork), 422 (the proof does not verify).

A cosignature line is ``— <witness name> base64(key id ‖ u64 timestamp ‖ Ed25519 signature)``, the
signature being over ``cosignature/v1\\ntime <timestamp>\\n`` followed by the checkpoint body, and the
key id ``SHA-256(name ‖ \\n ‖ 0x04 ‖ public key)[:4]``.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import os
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from governance.exceptions import InputError
from governance.ledger.merkle import ProofError, verify_consistency
from governance.ledger.signing import EM_DASH, Checkpoint, VerifierKey

__all__ = [
    "COSIGNATURE_ALGORITHM",
    "Cosigner",
    "CosignerKey",
    "Outcome",
    "Witness",
    "cosignatures_by",
    "load_logs",
    "parse_signed_note",
]

COSIGNATURE_ALGORITHM = 0x04
"""The signed-note signature type of Ed25519 ``cosignature/v1``."""
MAX_PROOF_LINES = 63
SIZE_TYPE = "text/x.tlog.size"


def _key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([COSIGNATURE_ALGORITHM]) + public_key).digest()[:4]


def _message(body: bytes, timestamp: int) -> bytes:
    return b"cosignature/v1\ntime " + str(timestamp).encode() + b"\n" + body


@dataclass(frozen=True)
class CosignerKey:
    """A witness's public key: checks its cosignatures."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        """The four-byte key id of cosignature/v1."""
        return _key_id(self.name, self.public_key)

    def text(self) -> str:
        """The verifier key string ``<name>+<key id hex>+<base64(0x04 ‖ public key)>``."""
        encoded = base64.b64encode(bytes([COSIGNATURE_ALGORITHM]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def parse(cls, text: str, *, source: str = "witness key") -> CosignerKey:
        """Read a verifier key string written by :meth:`text`.

        Raises:
            InputError: naming ``source`` and what is wrong.
        """
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise InputError(f"{source}: not a witness key; expected <name>+<key id>+<base64 key>")
        name, key_id, encoded = parts
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InputError(f"{source}: the key is not valid base64") from exc
        if len(raw) != 33 or raw[0] != COSIGNATURE_ALGORITHM:
            raise InputError(f"{source}: not an Ed25519 cosignature key (expected 0x04 and 32 bytes)")
        key = cls(name, raw[1:])
        if key.key_id.hex() != key_id.lower():
            raise InputError(f"{source}: key id {key_id} does not match the key")
        return key

    def verify(self, line: str, body: bytes) -> int | None:
        """The timestamp of ``line`` if it is this key's valid cosignature of ``body``, else None."""
        parts = line.strip().split(" ")
        if len(parts) != 3 or parts[0] != EM_DASH or parts[1] != self.name:
            return None
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except (binascii.Error, ValueError):
            return None
        if len(blob) != 4 + 8 + 64 or blob[:4] != self.key_id:
            return None
        (timestamp,) = struct.unpack(">Q", blob[4:12])
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(blob[12:], _message(body, timestamp))
        except InvalidSignature:
            return None
        return int(timestamp)


@dataclass(frozen=True, repr=False)
class Cosigner:
    """A witness's private key."""

    name: str
    seed: bytes

    def __repr__(self) -> str:
        return f"Cosigner(name={self.name!r})"

    @classmethod
    def generate(cls, name: str) -> Cosigner:
        """A new random key; ``name`` should be a schema-less URL naming the witness."""
        if not name or any(c.isspace() or c == "+" for c in name):
            raise InputError(f"witness name {name!r}: expected no spaces and no '+'")
        return cls(name, os.urandom(32))

    @cached_property
    def _private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @cached_property
    def public(self) -> CosignerKey:
        """The matching public key."""
        raw = self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return CosignerKey(self.name, raw)

    def cosign(self, body: bytes, timestamp: int) -> str:
        """The cosignature line of a checkpoint body at ``timestamp`` (POSIX seconds)."""
        signature = self._private.sign(_message(body, timestamp))
        blob = self.public.key_id + struct.pack(">Q", timestamp) + signature
        return f"{EM_DASH} {self.name} {base64.b64encode(blob).decode()}\n"

    def text(self) -> str:
        """``PRIVATE+KEY+<name>+<key id>+<base64(0x04 ‖ seed)>``."""
        encoded = base64.b64encode(bytes([COSIGNATURE_ALGORITHM]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.public.key_id.hex()}+{encoded}"

    @classmethod
    def load(cls, path: Path) -> Cosigner:
        """Read a key file written by :meth:`save`.

        Raises:
            InputError: when it is missing or not a witness key.
        """
        try:
            parts = path.read_text(encoding="utf-8").strip().split("+", 4)
        except OSError as exc:
            raise InputError(f"{path}: cannot read the witness key ({exc.strerror})") from exc
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise InputError(f"{path}: not a witness key")
        try:
            raw = base64.b64decode(parts[4], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InputError(f"{path}: the key is not valid base64") from exc
        if len(raw) != 33 or raw[0] != COSIGNATURE_ALGORITHM:
            raise InputError(f"{path}: not an Ed25519 witness key")
        key = cls(parts[2], raw[1:])
        if key.public.key_id.hex() != parts[3].lower():
            raise InputError(f"{path}: the key id does not match the key")
        return key

    def save(self, path: Path) -> None:
        """Write the key to a new file readable only by its owner (never overwrites)."""
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise InputError(f"{path}: a file is already there; refusing to overwrite a key") from exc
        except OSError as exc:
            raise InputError(f"{path}: cannot create the key file ({exc.strerror})") from exc
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(self.text() + "\n")


def parse_signed_note(text: str) -> tuple[bytes, list[str]]:
    """A signed note's body (with its final newline) and its signature lines.

    Raises:
        InputError: when it is not a signed note.
    """
    body, sep, rest = text.partition("\n\n")
    if not sep:
        raise InputError("not a signed note (no blank line before the signatures)")
    lines = [line for line in rest.split("\n") if line]
    if not lines or not all(line.startswith(EM_DASH + " ") for line in lines):
        raise InputError("a signed note ends with one or more signature lines")
    return (body + "\n").encode(), lines


def _log_signed(body: bytes, lines: list[str], keys: list[VerifierKey]) -> bool:
    for line in lines:
        parts = line.split(" ")
        if len(parts) != 3:
            continue
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except (binascii.Error, ValueError):
            continue
        for key in keys:
            if parts[1] == key.name and blob[:4].hex() == key.key_id and key.verify(body, blob[4:]):
                return True
    return False


def cosignatures_by(note: str, witnesses: list[CosignerKey]) -> list[CosignerKey]:
    """The witnesses among ``witnesses`` whose valid cosignature the signed note carries."""
    body, lines = parse_signed_note(note)
    return [key for key in witnesses if any(key.verify(line, body) is not None for line in lines)]


@dataclass(frozen=True)
class Outcome:
    """The witness's answer: an HTTP status, a body and its content type."""

    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


class Witness:
    """The witness's state (a JSON file: origin → last cosigned size and root) and its checks."""

    def __init__(self, key: Cosigner, logs: dict[str, list[VerifierKey]], state: Path) -> None:
        """Cosign with ``key`` checkpoints of ``logs`` (origin → trusted keys), remembering them in ``state``."""
        self.key = key
        self._logs = logs
        self._state = state
        self._lock = threading.Lock()

    @contextmanager
    def _locked_state(self) -> Iterator[dict[str, Any]]:
        """The state, locked against other threads and processes; written back (atomically) on success."""
        lock_path = self._state.with_name(self._state.name + ".lock")
        with self._lock, lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state: dict[str, Any] = json.loads(self._state.read_text()) if self._state.exists() else {}
                before = json.dumps(state, sort_keys=True)
                yield state
                if json.dumps(state, sort_keys=True) != before:
                    partial = self._state.with_name(self._state.name + ".partial")
                    with partial.open("w", encoding="utf-8") as handle:
                        json.dump(state, handle, sort_keys=True, indent=1)
                        handle.flush()
                        os.fsync(handle.fileno())
                    partial.replace(self._state)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def latest(self, origin: str) -> tuple[int, bytes] | None:
        """The last size and root cosigned for ``origin``."""
        with self._locked_state() as state:
            entry = state.get(origin)
        return None if entry is None else (int(entry["size"]), base64.b64decode(entry["root"]))

    def add_checkpoint(self, request: bytes, *, now: int | None = None) -> Outcome:
        """Handle one ``add-checkpoint`` request body (see the module documentation)."""
        try:
            text = request.decode("utf-8")
            head, sep, note = text.partition("\n\n")
            if not sep:
                return Outcome(400, "expected: old size line, proof lines, blank line, checkpoint\n")
            lines = head.split("\n")
            if not lines[0].startswith("old ") or not lines[0][4:].isdigit():
                return Outcome(400, "the first line must be 'old <size>'\n")
            if lines[0][4:] != str(int(lines[0][4:])):
                return Outcome(400, "the old size has leading zeros\n")
            old = int(lines[0][4:])
            if len(lines) - 1 > MAX_PROOF_LINES:
                return Outcome(400, f"more than {MAX_PROOF_LINES} proof lines\n")
            proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
            body, signatures = parse_signed_note(note)
            checkpoint = Checkpoint.parse_body(body.decode("utf-8"))
        except (UnicodeDecodeError, binascii.Error, ValueError, InputError) as exc:
            return Outcome(400, f"malformed request: {exc}\n")
        keys = self._logs.get(checkpoint.origin, [])
        if not keys:
            return Outcome(404, f"unknown log {checkpoint.origin}\n")
        if not _log_signed(body, signatures, keys):
            return Outcome(403, "no signature by a trusted key of this log\n")
        if old > checkpoint.tree_size:
            return Outcome(400, "the old size is above the checkpoint's size\n")
        with self._locked_state() as state:
            known = state.get(checkpoint.origin)
            size = int(known["size"]) if known else 0
            root = base64.b64decode(known["root"]) if known else b""
            if old != size:
                return Outcome(409, f"{size}\n", SIZE_TYPE)
            if old == checkpoint.tree_size and known is not None and root != checkpoint.root_hash:
                return Outcome(409, f"{size}\n", SIZE_TYPE)  # a second checkpoint of the same size: a fork
            if old == 0 and proof:
                return Outcome(422, "the proof from size 0 must be empty\n")
            if 0 < old < checkpoint.tree_size:
                try:
                    verify_consistency(old, checkpoint.tree_size, root, checkpoint.root_hash, proof)
                except ProofError as exc:
                    return Outcome(422, f"the consistency proof does not verify: {exc}\n")
            state[checkpoint.origin] = {
                "size": checkpoint.tree_size,
                "root": base64.b64encode(checkpoint.root_hash).decode(),
            }
        return Outcome(200, self.key.cosign(body, now if now is not None else int(time.time())))


def load_logs(path: Path) -> dict[str, list[VerifierKey]]:
    """Read the logs a witness serves: one ``<origin> <verifier key>`` a line; ``#`` comments.

    Raises:
        InputError: for a line that is not an origin and a key.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the list of logs ({exc.strerror})") from exc
    logs: dict[str, list[VerifierKey]] = {}
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        origin, _, key = stripped.partition(" ")
        if not key.strip():
            raise InputError(f"{path}:{number}: expected '<origin> <verifier key>'")
        logs.setdefault(origin, []).append(VerifierKey.parse(key.strip(), source=f"{path}:{number}"))
    if not logs:
        raise InputError(f"{path}: no log listed")
    return logs


MAX_REQUEST = 64 * 1024


def witness_app(witness: Witness) -> FastAPI:
    """The witness's HTTP interface: ``POST /add-checkpoint`` (and ``GET /healthz``)."""
    app = FastAPI(title="governance witness", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> PlainTextResponse:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_REQUEST:
                return PlainTextResponse("request too large\n", status_code=413)
        outcome = witness.add_checkpoint(body)
        return PlainTextResponse(outcome.body, status_code=outcome.status, media_type=outcome.content_type)

    @app.get("/healthz")
    async def healthz() -> PlainTextResponse:
        return PlainTextResponse(f"witness {witness.key.name}\n")

    return app
