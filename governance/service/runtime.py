"""What a running service holds: its settings, the open ledger, the signing key, keys, writer, metrics.

Settings come from :class:`ServiceConfig`; :meth:`ServiceConfig.from_env` reads them from the
environment, which is how ``governance serve --workers N`` hands them to each worker process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import HTTPConnection

from governance.exceptions import InputError
from governance.ledger.record import signing_key_for
from governance.ledger.store import KEY_ENV, LEDGER_ENV, Ledger, resolve_location
from governance.service.apikeys import KeyStore
from governance.service.appender import Appender
from governance.service.cosigning import CosignatureStore, Cosigning, WitnessEndpoint, load_witnesses
from governance.service.metrics import Metrics

__all__ = ["MAX_BODY_ENV", "SCHEMA_ENV", "WITNESSES_ENV", "Service", "ServiceConfig", "service_of"]

SCHEMA_ENV = "GOVERNANCE_LEDGER_SCHEMA"
MAX_BODY_ENV = "GOVERNANCE_SERVICE_MAX_BODY"
WITNESSES_ENV = "GOVERNANCE_SERVICE_WITNESSES"
DEFAULT_MAX_BODY = 16 * 1024 * 1024


@dataclass(frozen=True)
class ServiceConfig:
    """How to run the service."""

    ledger: str | None = None
    """SQLite path or PostgreSQL URL; None: ``GOVERNANCE_LEDGER`` or ``./governance-ledger.sqlite``."""
    key: Path | None = None
    """Checkpoint signing key file; None: ``GOVERNANCE_LEDGER_KEY`` or the key beside a SQLite ledger."""
    schema: str | None = None
    """PostgreSQL schema holding the tables (None: the server's search path)."""
    max_body: int = DEFAULT_MAX_BODY
    """Largest request body accepted, in bytes (413 above)."""
    max_batch: int = 1024
    """Most entries one group commit appends."""
    witnesses: tuple[WitnessEndpoint, ...] = ()
    """Witnesses to submit each checkpoint to (see :mod:`governance.service.cosigning`)."""

    @classmethod
    def from_env(cls) -> ServiceConfig:
        """Settings from the environment (how ``serve --workers N`` configures each worker).

        Reads ``GOVERNANCE_LEDGER``, ``GOVERNANCE_LEDGER_KEY``, ``GOVERNANCE_LEDGER_SCHEMA``,
        ``GOVERNANCE_SERVICE_MAX_BODY`` and ``GOVERNANCE_SERVICE_WITNESSES`` (a witnesses file).
        """
        key = os.environ.get(KEY_ENV)
        witnesses = os.environ.get(WITNESSES_ENV)
        body = os.environ.get(MAX_BODY_ENV)
        if body is not None and not body.isdigit():
            raise InputError(f"{MAX_BODY_ENV}: expected a number of bytes, got {body!r}")
        return cls(
            ledger=os.environ.get(LEDGER_ENV) or None,
            key=Path(key) if key else None,
            schema=os.environ.get(SCHEMA_ENV) or None,
            max_body=int(body) if body else DEFAULT_MAX_BODY,
            witnesses=load_witnesses(Path(witnesses)) if witnesses else (),
        )


class Service:
    """The open ledger and everything the routes share; :meth:`close` commits what is queued."""

    def __init__(self, config: ServiceConfig) -> None:
        """Open (creating when absent) the ledger, its signing key and the key tables; start the writer."""
        self.config = config
        self.location = resolve_location(config.ledger)
        self.ledger = Ledger.open(self.location, create=True, schema=config.schema)
        try:
            self.signing_key = signing_key_for(self.ledger, config.key)
            self.verifier = self.signing_key.verifier()
            self.keys = KeyStore(self.ledger)
            self.keys.ensure_tables()
            self.metrics = Metrics(self.ledger.size)
            self.cosignatures = CosignatureStore(self.ledger)
            self.cosignatures.ensure_tables()
            self.cosigning = Cosigning(self.ledger, self.cosignatures, config.witnesses)
            self.appender = Appender(self.ledger, self.signing_key, max_batch=config.max_batch, observe=self._committed)
            self.cosigning.start()
        except BaseException:
            self.ledger.close()
            raise

    def _committed(self, entries: int) -> None:
        self.metrics.observe_batch(entries)
        self.cosigning.notify()

    def close(self) -> None:
        """Finish the queued appends, stop submitting to witnesses, and release the database."""
        self.appender.close()
        self.cosigning.close()
        self.ledger.close()


def service_of(connection: HTTPConnection) -> Service:
    """The service of the app handling ``connection``."""
    service: Service = connection.app.state.service
    return service
