"""Alembic migrations of the database of record (journal and book tables); run by :func:`trimtab.db.migrate`."""
