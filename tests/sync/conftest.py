"""The sync tests run against the same real backends as tests/backend."""

from tests.backend.conftest import pg_backend, sqlite_backend

__all__ = ["pg_backend", "sqlite_backend"]
