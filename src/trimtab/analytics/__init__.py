"""trimtab.analytics."""
