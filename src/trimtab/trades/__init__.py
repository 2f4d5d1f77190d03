"""trimtab.trades."""
