"""Alembic migrations of the results store, shipped inside the package and applied by
:func:`forensics.store.open_store` (``alembic upgrade head`` run programmatically)."""
