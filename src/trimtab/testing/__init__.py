"""trimtab.testing."""
