"""Reinforcement learning for rebalancing: an environment over the simulator, a policy from a trained model.

* :mod:`trimtab.rl.features` -- observation and action meanings shared by training and use (numpy only);
* :mod:`trimtab.rl.env` -- :class:`~trimtab.rl.env.RebalancingEnv`, gymnasium (extra ``[rl]``);
* :mod:`trimtab.rl.band_env` -- the one-asset KAT-01 environment for the comparison with dynamic programming;
* :mod:`trimtab.rl.hedge_env` -- the KAT-29b hedge band (Whalley & Wilmott) mapped onto the band environment;
* :mod:`trimtab.rl.lq_env` -- the KAT-08 / KAT-30 linear-quadratic environment (Garleanu & Pedersen's trading
  fraction ``a / lambda``);
* :mod:`trimtab.rl.policy` -- :class:`~trimtab.rl.policy.RlPolicy`, a trained model as a policy (numpy
  inference: no torch needed to use a model);
* :mod:`trimtab.rl.train` -- training with stable-baselines3 (PPO or DQN, CPU; extra ``[rl]``).

Nothing here is imported by ``import trimtab``: gymnasium, torch and stable-baselines3 load only when the
environment or training is used.
"""
