"""trimtab.backtest."""
