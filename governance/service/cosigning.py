"""The log's side of witnessing: submit each new checkpoint to the witnesses, keep their cosignatures.

With witnesses configured (``governance serve --witnesses FILE``, one ``<witness URL> <witness key>``
a line), a background thread of each service process submits the latest checkpoint to every witness
after each commit (and every few seconds), with a consistency proof from the size that witness last
cosigned, learning that size from the witness's 409 answer when it does not know it. Each
cosignature that verifies under the witness's key is kept in the table ``service_cosignatures`` and
served with its checkpoint at ``/checkpoint``, so that clients can require cosignatures from
witnesses they trust (``governance ledger verify --ledger URL --witness-keys FILE --witnesses N``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import httpx
from sqlalchemy import BigInteger, Column, String, Text, insert, select
from sqlmodel import Field, SQLModel

from governance.exceptions import GovernanceError, InputError
from governance.ledger.proofs import consistency_document
from governance.ledger.store import Ledger
from governance.ledger.tables import table_of
from governance.logs import get_logger
from governance.service.witness import SIZE_TYPE, CosignerKey

__all__ = ["CosignatureStore", "Cosigning", "WitnessEndpoint", "load_witnesses"]


class CosignatureRow(SQLModel, table=True):
    """A witness's cosignature line of the checkpoint of ``tree_size`` entries."""

    __tablename__: ClassVar[str] = "service_cosignatures"

    tree_size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    witness: str = Field(sa_column=Column(String(200), primary_key=True))
    line: str = Field(sa_column=Column(Text, nullable=False))


_COSIGNATURES = table_of(CosignatureRow)


class CosignatureStore:
    """Cosignature lines kept beside the ledger (never part of the hashed log)."""

    def __init__(self, ledger: Ledger) -> None:
        """Use the cosignature table of ``ledger``'s database."""
        self._ledger = ledger

    def ensure_tables(self) -> None:
        """Create the table when absent."""
        with self._ledger.transaction("create the cosignature table in") as conn:
            _COSIGNATURES.create(conn, checkfirst=True)

    def add(self, tree_size: int, witness: str, line: str) -> None:
        """Keep a cosignature (once per size and witness)."""
        with self._ledger.transaction("store a cosignature in") as conn:
            known = conn.execute(
                select(_COSIGNATURES.c.line).where(
                    _COSIGNATURES.c.tree_size == tree_size, _COSIGNATURES.c.witness == witness
                )
            ).first()
            if known is None:
                conn.execute(insert(_COSIGNATURES), {"tree_size": tree_size, "witness": witness, "line": line})

    def lines(self, tree_size: int) -> list[str]:
        """The cosignature lines of the checkpoint of ``tree_size`` entries, by witness name."""
        with self._ledger.read() as reader:
            rows = reader.connection.execute(
                select(_COSIGNATURES.c.line)
                .where(_COSIGNATURES.c.tree_size == tree_size)
                .order_by(_COSIGNATURES.c.witness)
            ).all()
        return [str(row[0]) for row in rows]


@dataclass(frozen=True)
class WitnessEndpoint:
    """A witness: where to submit checkpoints, and the key its cosignatures must verify under."""

    url: str
    key: CosignerKey


def load_witnesses(path: Path) -> tuple[WitnessEndpoint, ...]:
    """Read ``<witness URL> <witness key>`` lines (``#`` comments).

    Raises:
        InputError: for a line that is not a URL and a key.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the list of witnesses ({exc.strerror})") from exc
    out = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        url, _, key = stripped.partition(" ")
        if not url.startswith(("http://", "https://")) or not key.strip():
            raise InputError(f"{path}:{number}: expected '<witness URL> <witness key>'")
        out.append(WitnessEndpoint(url.rstrip("/"), CosignerKey.parse(key.strip(), source=f"{path}:{number}")))
    return tuple(out)


class Cosigning:
    """Submits checkpoints to witnesses from a background thread; :meth:`run_once` does one round."""

    def __init__(
        self,
        ledger: Ledger,
        store: CosignatureStore,
        witnesses: tuple[WitnessEndpoint, ...],
        *,
        client: httpx.Client | None = None,
        interval: float = 5.0,
    ) -> None:
        """Submit ``ledger``'s checkpoints to ``witnesses``, keeping cosignatures in ``store``."""
        self._ledger = ledger
        self._store = store
        self._witnesses = witnesses
        self._owns_client = client is None
        self._client = client or httpx.Client(timeout=10)
        self._interval = interval
        self._sizes: dict[str, int] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the background thread (nothing to do without witnesses)."""
        if self._witnesses and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="governance-cosigning", daemon=True)
            self._thread.start()

    def notify(self) -> None:
        """A new checkpoint was signed."""
        self._wake.set()

    def close(self) -> None:
        """Stop the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._owns_client:
            self._client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            if not self._stop.is_set():
                self.run_once()

    def run_once(self) -> int:
        """Submit the latest checkpoint to every witness; return how many cosigned it."""
        signed = self._ledger.latest_signed_checkpoint()
        if signed is None:
            return 0
        cosigned = 0
        for witness in self._witnesses:
            try:
                cosigned += self._submit(witness, signed.note(), signed.checkpoint.tree_size)
            except (httpx.HTTPError, GovernanceError) as exc:
                get_logger("governance.service").warning("witness_unreachable", witness=witness.url, error=str(exc))
        return cosigned

    def _body(self, old: int, size: int, note: str) -> str:
        proof: list[str] = []
        if 0 < old < size:
            with self._ledger.read() as reader:
                proof = consistency_document(reader, old, new_size=size)["proof"]
        return f"old {old}\n" + "".join(f"{line}\n" for line in proof) + "\n" + note

    def _submit(self, witness: WitnessEndpoint, note: str, size: int) -> int:
        old = self._sizes.get(witness.url, 0)
        if old == size and self._store.lines(size):
            return 1
        for _ in range(2):  # a 409 tells the size the witness holds: try once more from there
            response = self._client.post(f"{witness.url}/add-checkpoint", content=self._body(old, size, note))
            if response.status_code == 409 and response.headers.get("content-type", "").startswith(SIZE_TYPE):
                known = int(response.text.strip() or "0")
                if known > size or known == old:
                    break
                old = known
                continue
            if response.status_code != 200:
                get_logger("governance.service").warning(
                    "witness_refused", witness=witness.url, status=response.status_code, detail=response.text[:200]
                )
                return 0
            body = note.partition("\n\n")[0] + "\n"
            for line in response.text.splitlines():
                if witness.key.verify(line, body.encode()) is not None:
                    self._store.add(size, witness.key.name, line + "\n")
                    self._sizes[witness.url] = size
                    return 1
            return 0
        return 0
