"""Broker adapters: one same-shaped folder per venue (``config.py``, ``client.py``, ``parsing.py``, ``broker.py``).

Start from ``_template``; see ``docs/execution.md`` ("Adding a broker adapter") for the required and optional
methods, and pass :func:`trimtab.testing.checks.check_broker` against the venue's local fake.
"""
