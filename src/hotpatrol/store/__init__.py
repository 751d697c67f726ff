"""The store of ingested data (see :mod:`hotpatrol.store.store` for the engine choice)."""

from hotpatrol.store.store import Store

__all__ = ["Store"]
