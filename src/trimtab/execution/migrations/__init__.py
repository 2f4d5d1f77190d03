"""Alembic migrations of the database of record (journal and book); run by :func:`trimtab.db.migrate`."""
