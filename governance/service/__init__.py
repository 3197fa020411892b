"""The shared service: an HTTP API with roles, and the ledger served as a verifiable public log.

``governance serve`` runs it on uvicorn; in code::

    from governance.service import ServiceConfig, create_app

    app = create_app(ServiceConfig(ledger="governance-ledger.sqlite"))

``docs/service.md`` has the routes, the role matrix and examples with ``curl``.
"""

from __future__ import annotations

from governance.service.apikeys import ApiKey, IssuedKey, KeyStore, Role
from governance.service.app import app_from_env, create_app
from governance.service.runtime import Service, ServiceConfig

__all__ = ["ApiKey", "IssuedKey", "KeyStore", "Role", "Service", "ServiceConfig", "app_from_env", "create_app"]
