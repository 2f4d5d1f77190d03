"""Trade generation: household target weights -> trades per account (placement, sizing, lot relief).

``plan_trades(household, prices, target_weights, ...) -> TradePlan``; see ``docs/trades.md``.
"""

from trimtab.trades.plan import TradePlan, estimate_tax, realized_gains
from trimtab.trades.planner import plan_trades
from trimtab.trades.sizing import quantity_step

__all__ = ["TradePlan", "estimate_tax", "plan_trades", "quantity_step", "realized_gains"]
