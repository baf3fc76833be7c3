"""Storage: SQLModel tables, queries, Alembic migrations (run on startup), and the unit of work
through which the rest of the registry reads and writes (``Store.reading()`` /
``Store.writing(*subjects)``, :mod:`evreg.registry.store.work`). The only package of evreg that
imports SQLAlchemy or SQLModel."""

from evreg.registry.store.engine import DEFAULT_URL, Store, StoreError, make_engine
from evreg.registry.store.queries import Reference
from evreg.registry.store.work import ReadWork, WriteWork

__all__ = [
    "DEFAULT_URL",
    "ReadWork",
    "Reference",
    "Store",
    "StoreError",
    "WriteWork",
    "make_engine",
]
