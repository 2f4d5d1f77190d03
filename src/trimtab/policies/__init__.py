"""trimtab.policies."""
