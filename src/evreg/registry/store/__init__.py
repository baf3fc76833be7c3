"""Storage: SQLModel tables, queries and Alembic migrations (run on startup)."""

from evreg.registry.store.engine import DEFAULT_URL, Store, StoreError, make_engine
from evreg.registry.store.queries import Reference

__all__ = ["DEFAULT_URL", "Reference", "Store", "StoreError", "make_engine"]
