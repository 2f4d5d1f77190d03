"""trimtab.book."""
