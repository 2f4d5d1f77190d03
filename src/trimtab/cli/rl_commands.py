"""``trimtab rl train CONFIG --timesteps N --out model.zip``: train a reinforcement-learning rebalancer.

CONFIG is a backtest config (``docs/backtest.md``): its data, targets, initial value or portfolio, costs,
trading, tax and cash flows make the environment (:class:`trimtab.rl.env.RebalancingEnv`); its policies are
not used. The model is written to ``--out`` and is used as ``policy: {kind: rl, model: model.zip}``.
Needs the optional extra ``[rl]`` (stable-baselines3, gymnasium, torch 2.13.0 CPU); nothing of it is imported
until the command runs. Errors are :class:`trimtab.errors.TrimtabError` (one line, exit code 2).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from trimtab.errors import ConfigError

__all__ = ["app", "train"]

app = typer.Typer(
    name="rl",
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Reinforcement-learning rebalancer: train an agent on a backtest config (needs the rl extra).",
)


def _progress_callback(progress: Progress, task: Any, total: int) -> Any:
    from stable_baselines3.common.callbacks import BaseCallback

    class _Bar(BaseCallback):
        def _on_step(self) -> bool:
            progress.update(task, completed=min(int(self.num_timesteps), total))
            return True

    return _Bar()


@app.command("train")
def train(
    config: Annotated[Path, typer.Argument(help="Backtest config YAML whose scenario is the environment.")],
    timesteps: Annotated[
        int, typer.Option("--timesteps", min=1, help="Environment steps to train for.")
    ] = 100_000,
    out: Annotated[Path, typer.Option("--out", help="Model file to write (.zip).")] = Path("model.zip"),
    algorithm: Annotated[
        str, typer.Option("--algorithm", help="ppo or dqn (dqn: discrete actions).")
    ] = "ppo",
    action: Annotated[
        str, typer.Option("--action", help="discrete (none/partial/full) or continuous.")
    ] = "discrete",
    observation: Annotated[
        str, typer.Option("--observation", help="assets (per asset) or summary.")
    ] = "assets",
    every: Annotated[
        str, typer.Option("--every", help="Decision period: monthly, quarterly, ...")
    ] = "monthly",
    te_penalty: Annotated[
        float, typer.Option("--te-penalty", help="lam_te in the reward (per unit of annual TE^2).")
    ] = 1.5,
    episode_years: Annotated[
        float | None,
        typer.Option("--episode-years", help="Random windows of this length (default: whole scenario)."),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--start", help="Train from this date (default: the config's).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", help="Train up to this date (default: the config's).")
    ] = None,
    no_regime: Annotated[
        bool, typer.Option("--no-regime", help="Leave the HMM crisis probability out.")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the algorithm and the environment.")] = 0,
) -> None:
    """Train an agent on CONFIG's scenario and save it to --out."""
    try:
        from trimtab.rl.train import train_from_config
    except ImportError as err:  # gymnasium missing
        raise ConfigError(
            "rl train needs the optional extra", got=str(err), fix="pip install -e .[rl]"
        ) from None
    if not config.is_file():
        raise ConfigError(
            "config file not found", got=str(config), fix="give the path of a backtest config YAML"
        )
    if not out.expanduser().resolve().parent.is_dir():
        raise ConfigError(
            "the folder of --out does not exist", got=str(out), fix="create it or choose another path"
        )
    console = Console(stderr=True)
    show = sys.stderr.isatty()
    with Progress(
        TextColumn("training"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not show,
    ) as progress:
        task = progress.add_task("train", total=timesteps)
        callback = None
        if show:
            try:
                callback = _progress_callback(progress, task, timesteps)
            except ImportError:
                callback = None
        result = train_from_config(
            config,
            out=out,
            timesteps=timesteps,
            algorithm=algorithm,
            action=action,
            observation=observation,
            every=every,
            te_penalty=te_penalty,
            episode_years=episode_years,
            regime=not no_regime,
            start=start,
            end=end,
            seed=seed,
            callback=callback,
        )
    trained = result.meta.get("trained_on", {})
    typer.echo(
        f"wrote {result.path} ({result.algorithm}, {result.timesteps} steps, trained on "
        f"{', '.join(result.meta.get('symbols', []))} {trained.get('start', '')}..{trained.get('end', '')}); "
        f"use it as policy: {{kind: rl, model: {result.path.name}}}"
    )
