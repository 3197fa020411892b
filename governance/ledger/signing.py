"""Ed25519 keys and signed checkpoints, in the C2SP signed-note and tlog-checkpoint formats.

A checkpoint states the ledger's origin, size and root hash at a moment. Its text (the note body) is::

    <origin>\\n
    <tree size, decimal>\\n
    <root hash, standard base64>\\n
    time <RFC 3339 UTC timestamp>\\n

and the signed note adds a blank line and one signature line per key::

    — <key name> <base64(4-byte key id ‖ 64-byte Ed25519 signature over the body)>\\n

(the dash is U+2014 EM DASH). The key id is the first four bytes of
``SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key)``, written as eight hex digits elsewhere. Keys
are exchanged as the signed-note strings ``<name>+<key id hex>+<base64(0x01 ‖ public key)>``
(verifier key) and ``PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 ‖ 32-byte seed)>`` (signing key),
so that other signed-note tools can read them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from governance.exceptions import InputError

__all__ = [
    "ALGORITHM_ED25519",
    "Checkpoint",
    "SignedCheckpoint",
    "SigningKey",
    "VerifierKey",
    "compute_key_id",
    "ignore_in_git",
    "load_verifier_keys",
    "sign_note",
]

ALGORITHM_ED25519 = 0x01
"""The signed-note signature type byte for Ed25519."""
EM_DASH = "\u2014"
_NAME = re.compile(r"^[^\s+]{1,200}$")
_ORIGIN = re.compile(r"^\S{1,300}$")
_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")


def _check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise InputError(f"key name {name!r} is invalid: expected 1-200 characters, no spaces and no '+'")
    return name


def compute_key_id(name: str, public_key: bytes) -> str:
    """The signed-note key id of an Ed25519 key: 8 hex digits of SHA-256(name ‖ \\n ‖ 0x01 ‖ key)."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ALGORITHM_ED25519]) + public_key).digest()
    return digest[:4].hex()


@dataclass(frozen=True)
class VerifierKey:
    """A public key that checks checkpoint signatures."""

    name: str
    key_id: str
    """Eight lowercase hex digits (see :func:`compute_key_id`)."""
    public_key: bytes
    """The 32-byte Ed25519 public key."""

    def __post_init__(self) -> None:
        _check_name(self.name)
        if len(self.public_key) != 32:
            raise InputError(f"an Ed25519 public key is 32 bytes, not {len(self.public_key)}")
        if compute_key_id(self.name, self.public_key) != self.key_id:
            raise InputError(f"key id {self.key_id} does not belong to key {self.name!r} with this public key")

    @classmethod
    def parse(cls, text: str, *, source: str = "verifier key") -> VerifierKey:
        """Read ``<name>+<key id>+<base64(0x01 ‖ public key)>``.

        Raises:
            InputError: naming ``source`` and what is wrong.
        """
        parts = text.strip().split("+", 2)  # the name has no '+'; base64 may
        if len(parts) != 3:
            raise InputError(f"{source}: not a verifier key; expected <name>+<key id>+<base64 key> on one line")
        name, key_id, encoded = parts
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InputError(f"{source}: the key is not valid base64") from exc
        if len(raw) != 33 or raw[0] != ALGORITHM_ED25519:
            raise InputError(f"{source}: not an Ed25519 key (expected 0x01 and 32 bytes)")
        try:
            return cls(name, key_id.lower(), raw[1:])
        except InputError as exc:
            raise InputError(f"{source}: {exc.message}") from exc

    def text(self) -> str:
        """The verifier key string, for ``--pubkey`` files."""
        encoded = base64.b64encode(bytes([ALGORITHM_ED25519]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id}+{encoded}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True when ``signature`` is this key's Ed25519 signature of ``message``."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True, repr=False)
class SigningKey:
    """An Ed25519 private key with its signed-note name; signs checkpoints."""

    name: str
    seed: bytes
    """The 32-byte Ed25519 private key."""

    def __post_init__(self) -> None:
        _check_name(self.name)
        if len(self.seed) != 32:
            raise InputError(f"an Ed25519 private key is 32 bytes, not {len(self.seed)}")

    def __repr__(self) -> str:
        return f"SigningKey(name={self.name!r}, key_id={self.key_id!r})"

    @classmethod
    def generate(cls, name: str) -> SigningKey:
        """A new random key called ``name``."""
        return cls(_check_name(name), os.urandom(32))

    @cached_property
    def _private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @cached_property
    def public_key(self) -> bytes:
        """The 32-byte public key."""
        return self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @cached_property
    def key_id(self) -> str:
        """The signed-note key id (eight hex digits)."""
        return compute_key_id(self.name, self.public_key)

    def verifier(self) -> VerifierKey:
        """The matching public key."""
        return VerifierKey(self.name, self.key_id, self.public_key)

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        return self._private.sign(message)

    def text(self) -> str:
        """The private key string ``PRIVATE+KEY+<name>+<key id>+<base64(0x01 ‖ seed)>``."""
        encoded = base64.b64encode(bytes([ALGORITHM_ED25519]) + self.seed).decode("ascii")
        return f"PRIVATE+KEY+{self.name}+{self.key_id}+{encoded}"

    @classmethod
    def parse(cls, text: str, *, source: str = "signing key") -> SigningKey:
        """Read a private key string written by :meth:`text`.

        Raises:
            InputError: naming ``source`` and what is wrong.
        """
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise InputError(f"{source}: not a signing key; expected PRIVATE+KEY+<name>+<key id>+<base64 key>")
        _, _, name, key_id, encoded = parts
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InputError(f"{source}: the key is not valid base64") from exc
        if len(raw) != 33 or raw[0] != ALGORITHM_ED25519:
            raise InputError(f"{source}: not an Ed25519 key (expected 0x01 and 32 bytes)")
        try:
            key = cls(name, raw[1:])
        except InputError as exc:
            raise InputError(f"{source}: {exc.message}") from exc
        if key.key_id != key_id.lower():
            raise InputError(f"{source}: key id {key_id} does not match the key (expected {key.key_id})")
        return key

    @classmethod
    def load(cls, path: Path) -> SigningKey:
        """Read a signing key file.

        Raises:
            InputError: when the file is missing, unreadable or not a key.
        """
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise InputError(f"{path}: no such signing key file") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read the signing key ({exc})") from exc
        return cls.parse(text, source=str(path))

    def save(self, path: Path) -> None:
        """Write the key to a new file readable only by its owner (never overwrites).

        Raises:
            InputError: when the file exists or cannot be created.
        """
        if path.exists() or path.is_symlink():
            raise InputError(f"{path}: a file is already there; refusing to overwrite a key")
        # Written whole to a private temporary file, flushed, then linked into place: a reader (another
        # process recording at the same moment) sees no key or the whole key, never half of one.
        try:
            descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
        except OSError as exc:
            raise InputError(f"{path}: cannot create the key file ({exc.strerror})") from exc
        try:
            os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(self.text() + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.link(temporary, path)
        except FileExistsError as exc:
            raise InputError(f"{path}: a file is already there; refusing to overwrite a key") from exc
        except OSError as exc:
            raise InputError(f"{path}: cannot create the key file ({exc.strerror})") from exc
        finally:
            Path(temporary).unlink()
        ignore_in_git(path)


def load_verifier_keys(path: Path) -> list[VerifierKey]:
    """Read a ``--pubkey`` file: one verifier key per line; blank lines and ``#`` comments are skipped.

    Raises:
        InputError: when the file is missing, empty or has a line that is not a key.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such public key file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the public key file ({exc})") from exc
    keys: list[VerifierKey] = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("PRIVATE+KEY+"):
            raise InputError(f"{path}:{number}: this is a private key; give the public key (governance ledger pubkey)")
        keys.append(VerifierKey.parse(stripped, source=f"{path}:{number}"))
    if not keys:
        raise InputError(f"{path}: no public key in the file")
    return keys


def _signature_line(name: str, key_id: str, signature: bytes) -> str:
    blob = base64.b64encode(bytes.fromhex(key_id) + signature).decode("ascii")
    return f"{EM_DASH} {name} {blob}\n"


def sign_note(text: str, key: SigningKey) -> str:
    """Sign ``text`` (which must end in a newline) as a C2SP signed note with one signature line."""
    if not text.endswith("\n"):
        raise InputError("a note's text must end with a newline")
    return text + "\n" + _signature_line(key.name, key.key_id, key.sign(text.encode("utf-8")))


@dataclass(frozen=True)
class Checkpoint:
    """The ledger's origin, size and root hash at a moment: the body of a signed note."""

    origin: str
    tree_size: int
    root_hash: bytes
    time: str
    """RFC 3339 UTC timestamp, e.g. ``2026-11-28T09:30:00.123456Z``."""

    def body(self) -> bytes:
        """The note body that is signed (UTF-8, every line ending in a newline)."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        return f"{self.origin}\n{self.tree_size}\n{root}\ntime {self.time}\n".encode()

    @classmethod
    def parse_body(cls, body: str, *, source: str = "checkpoint") -> Checkpoint:
        """Read a checkpoint body.

        Raises:
            InputError: naming what is wrong.
        """
        lines = body.split("\n")
        if len(lines) != 5 or lines[-1] != "":
            raise InputError(f"{source}: a checkpoint body has 4 lines: origin, size, root hash and time")
        origin, size, root, time_line = lines[:4]
        if not _ORIGIN.fullmatch(origin):
            raise InputError(f"{source}: line 1 is not an origin")
        if not size.isdigit() or (size != "0" and size.startswith("0")):
            raise InputError(f"{source}: line 2 {size!r} is not a tree size")
        try:
            root_hash = base64.b64decode(root, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InputError(f"{source}: line 3 is not a base64 root hash") from exc
        if len(root_hash) != 32:
            raise InputError(f"{source}: line 3 is a {len(root_hash)}-byte hash, not 32")
        stamp = time_line.removeprefix("time ")
        if stamp == time_line or not _TIME.fullmatch(stamp):
            raise InputError(f"{source}: line 4 should be 'time <RFC 3339 UTC time>'")
        return cls(origin, int(size), root_hash, stamp)


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint with one Ed25519 signature."""

    checkpoint: Checkpoint
    key_name: str
    key_id: str
    signature: bytes

    @classmethod
    def sign(cls, checkpoint: Checkpoint, key: SigningKey) -> SignedCheckpoint:
        """Sign ``checkpoint`` with ``key``."""
        return cls(checkpoint, key.name, key.key_id, key.sign(checkpoint.body()))

    def note(self) -> str:
        """The signed note: body, blank line, signature line."""
        line = _signature_line(self.key_name, self.key_id, self.signature)
        return self.checkpoint.body().decode("utf-8") + "\n" + line

    @classmethod
    def parse_note(cls, text: str, *, source: str = "checkpoint") -> SignedCheckpoint:
        """Read a signed note with exactly one Ed25519 signature line.

        Raises:
            InputError: naming what is wrong.
        """
        body, sep, signatures = text.partition("\n\n")
        if not sep:
            raise InputError(f"{source}: not a signed note (no blank line between the body and the signature)")
        lines = [line for line in signatures.split("\n") if line]
        if len(lines) != 1:
            raise InputError(f"{source}: expected one signature line, found {len(lines)}")
        parts = lines[0].split(" ")
        if len(parts) != 3 or parts[0] != EM_DASH:
            raise InputError(f"{source}: the signature line should be '{EM_DASH} <key name> <base64 signature>'")
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InputError(f"{source}: the signature is not valid base64") from exc
        if len(blob) != 4 + 64:
            raise InputError(f"{source}: an Ed25519 signature line carries 68 bytes, not {len(blob)}")
        checkpoint = Checkpoint.parse_body(body + "\n", source=source)
        return cls(checkpoint, parts[1], blob[:4].hex(), blob[4:])

    def verify(self, key: VerifierKey) -> bool:
        """True when ``key`` (same name and id) signed this checkpoint."""
        if key.key_id != self.key_id or key.name != self.key_name:
            return False
        return key.verify(self.checkpoint.body(), self.signature)


def ignore_in_git(path: Path) -> Path | None:
    """Keep a new private key out of git: list it in the checkout's ``info/exclude`` when it is inside one.

    Returns the exclude file written to, or None (not in a git checkout, or already ignored there).
    """
    folder = path.resolve().parent
    for top in (folder, *folder.parents):
        marker = top / ".git"
        if marker.is_dir():
            git_dir = marker
        elif marker.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = marker.read_text(encoding="utf-8", errors="replace").strip()
            if not text.startswith("gitdir:"):
                return None
            git_dir = (top / text.removeprefix("gitdir:").strip()).resolve()
            common = git_dir / "commondir"
            if common.is_file():
                git_dir = (git_dir / common.read_text(encoding="utf-8").strip()).resolve()
        else:
            continue
        exclude = git_dir / "info" / "exclude"
        line = "/" + path.resolve().relative_to(top).as_posix()
        try:
            present = exclude.read_text(encoding="utf-8").splitlines() if exclude.is_file() else []
            if line in present:
                return None
            exclude.parent.mkdir(parents=True, exist_ok=True)
            with exclude.open("a", encoding="utf-8") as handle:
                handle.write(f"{line}\n")
        except OSError:
            return None  # a read-only checkout: the key is still written, only not listed
        return exclude
    return None
