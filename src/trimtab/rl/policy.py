"""A trained model as a rebalancing policy (``policy: {kind: rl, model: model.zip}``), with numpy inference.

The model file written by ``trimtab rl train`` is a stable-baselines3 zip (loadable by
``PPO.load``/``DQN.load`` to continue training) with two more entries:

* ``trimtab.json`` -- what the model was trained on: format version, algorithm, action kind, decision period
  (``every``), the observation settings (:class:`~trimtab.rl.features.ObservationSpec`), the asset symbols and
  targets, and the training scenario's dates;
* ``trimtab_weights.npz`` -- the policy network's layers (weights, biases, activations), so that using a
  model needs only numpy: ``rebalance`` and ``backtest`` never import torch.

:class:`RlPolicy` decides on the decision dates of the training (the last trading day of each ``every``
period; it holds on other dates): it builds the observation from the context exactly as the environment
did (:mod:`trimtab.rl.features`), runs the network forward, and acts deterministically (the most likely
discrete action, or the mean of a continuous one clipped to [0, 1]).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trimtab.errors import ConfigError, SourceRef
from trimtab.policies.base import Decision, DecisionContext, Policy
from trimtab.policies.triggers import Calendar
from trimtab.rl.features import ObservationSpec, action_decision, action_fraction, action_label

__all__ = ["FORMAT_VERSION", "MlpNetwork", "RlModel", "RlPolicy", "load_model", "write_model_entries"]

FORMAT_VERSION = 1
META_NAME = "trimtab.json"
WEIGHTS_NAME = "trimtab_weights.npz"
_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
    "identity": lambda x: x,
}


@dataclass(frozen=True, eq=False)
class MlpNetwork:
    """A stack of dense layers: ``x -> act_i(W_i x + b_i)``; the last layer has no activation.

    Parameters
    ----------
    weights : sequence of ndarray of shape (out_i, in_i)
    biases : sequence of ndarray of shape (out_i,)
    activations : sequence of str
        One per hidden layer (``tanh``, ``relu``).
    """

    weights: Sequence[np.ndarray]
    biases: Sequence[np.ndarray]
    activations: Sequence[str]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Outputs of shape (m, out) for inputs of shape (m, in) (or (in,) -> (out,))."""
        h = np.asarray(x, dtype=np.float64)
        single = h.ndim == 1
        h = np.atleast_2d(h)
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = h @ np.asarray(w, dtype=np.float64).T + b
            if i < len(self.weights) - 1:
                h = _ACTIVATIONS[self.activations[i]](h)
        return h[0] if single else h

    def to_npz(self) -> bytes:
        """The layers as an ``.npz`` file's bytes."""
        buffer = io.BytesIO()
        arrays = {f"w{i}": w for i, w in enumerate(self.weights)} | {
            f"b{i}": b for i, b in enumerate(self.biases)
        }
        np.savez(buffer, activations=np.array(list(self.activations)), **arrays)
        return buffer.getvalue()

    @classmethod
    def from_npz(cls, data: bytes) -> MlpNetwork:
        """The inverse of :meth:`to_npz`."""
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            count = sum(1 for name in npz.files if name.startswith("w"))
            return cls(
                [npz[f"w{i}"] for i in range(count)],
                [npz[f"b{i}"] for i in range(count)],
                [str(a) for a in npz["activations"]],
            )


@dataclass(frozen=True, eq=False)
class RlModel:
    """A loaded model: its metadata and its network."""

    meta: Mapping[str, Any]
    network: MlpNetwork
    path: Path

    @property
    def symbols(self) -> tuple[str, ...]:
        """The assets of the training scenario, in order."""
        return tuple(self.meta["symbols"])

    @property
    def action_kind(self) -> str:
        """``discrete`` or ``continuous``."""
        return str(self.meta["action"])

    @property
    def observation(self) -> ObservationSpec:
        """The observation settings of the training."""
        return ObservationSpec.from_json(self.meta["observation"])

    def act(self, observation: np.ndarray) -> Any:
        """The deterministic action: argmax for discrete actions, the clipped mean for continuous ones."""
        out = self.network(np.asarray(observation, dtype=np.float64))
        if self.action_kind == "discrete":
            return int(np.argmax(out))
        return np.clip(out, 0.0, 1.0).astype(np.float32)


def write_model_entries(path: str | Path, meta: Mapping[str, Any], network: MlpNetwork) -> None:
    """Add ``trimtab.json`` and ``trimtab_weights.npz`` to the zip at ``path`` (a saved SB3 model)."""
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(META_NAME, json.dumps(dict(meta), indent=2, sort_keys=True))
        archive.writestr(WEIGHTS_NAME, network.to_npz())


def load_model(path: str | Path, *, where: SourceRef | None = None) -> RlModel:
    """Read a model written by ``trimtab rl train``.

    Raises
    ------
    ConfigError
        The file is missing, not a zip, or not a trimtab model (no ``trimtab.json``), or of another format
        version. The message names ``where`` (file, line, key) when given.
    """
    file = Path(path)
    train_hint = "train one with: trimtab rl train CONFIG --timesteps 100000 --out model.zip"
    if not file.is_file():
        raise ConfigError(
            "model file not found",
            got=str(file),
            fix=f"give the path of a trained model; {train_hint}",
            where=where,
        )
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if META_NAME not in names or WEIGHTS_NAME not in names:
                raise ConfigError(
                    "not a trimtab model (no trimtab.json in the zip)",
                    got=str(file),
                    fix=f"use a model written by trimtab rl train; {train_hint}",
                    where=where,
                )
            meta = json.loads(archive.read(META_NAME))
            network = MlpNetwork.from_npz(archive.read(WEIGHTS_NAME))
    except (zipfile.BadZipFile, OSError, ValueError, KeyError) as err:
        raise ConfigError(
            f"cannot read the model file ({err})", got=str(file), fix=train_hint, where=where
        ) from None
    if meta.get("format") != FORMAT_VERSION:
        raise ConfigError(
            "model file of another format version",
            got=meta.get("format"),
            fix=f"retrain with this version of trimtab (format {FORMAT_VERSION})",
            where=where,
        )
    return RlModel(meta=meta, network=network, path=file)


class RlPolicy:
    """A trained model as a policy (see the module docstring).

    Parameters
    ----------
    model : RlModel
    where : SourceRef, optional
        Where the policy was configured (for the universe-mismatch message).
    """

    def __init__(self, model: RlModel, *, where: SourceRef | None = None) -> None:
        self.model = model
        self.where = where
        self.every = str(model.meta.get("every", "monthly"))
        self._calendar = Calendar(self.every)
        self._observation = model.observation

    def describe(self) -> str:
        """``rl(model=model.zip)``."""
        return f"rl(model={self.model.path.name})"

    def __repr__(self) -> str:
        return self.describe()

    def _check_universe(self, ctx: DecisionContext) -> None:
        if self._observation.mode != "assets":
            return
        trained = self.model.symbols
        if tuple(ctx.symbols) != trained:
            missing = [s for s in trained if s not in ctx.symbols]
            extra = [s for s in ctx.symbols if s not in trained]
            detail = "; ".join(
                part
                for part in (
                    f"missing {', '.join(missing)}" if missing else "",
                    f"not in training {', '.join(extra)}" if extra else "",
                    "" if missing or extra else "same symbols in another order",
                )
                if part
            )
            raise ConfigError(
                f"the model was trained for another asset universe ({detail})",
                got=", ".join(ctx.symbols),
                fix=f"use a model trained on {', '.join(trained)}, or retrain with trimtab rl train",
                where=self.where,
            )

    def decide(self, ctx: DecisionContext) -> Decision:
        """Hold between decision dates; on a decision date act as the network says."""
        self._check_universe(ctx)
        check = self._calendar.evaluate(ctx)
        if not check.fired:
            current = ctx.as_weights(np.asarray(ctx.weights, dtype=float), float(ctx.cash_weight))
            return Decision("hold", current, check.reasons, self.describe(), {"turnover": 0.0})
        observation = self._observation.observe(ctx)
        action = self.model.act(observation)
        kind = self.model.action_kind
        decision = action_decision(
            ctx, action_fraction(action, kind), policy=self.describe(), label=action_label(action, kind)
        )
        details = {**dict(decision.details), "observation": [float(v) for v in observation]}
        return Decision(decision.action, decision.target_weights, decision.reasons, decision.policy, details)


def _rl_kind(params: Any) -> Policy:
    """Factory of the ``rl`` kind: ``model`` is a path, relative to the file that names it."""
    if not params.has("model"):
        raise params.error(
            "model",
            "the rl policy needs a trained model file",
            got="nothing",
            fix="add model: model.zip (train one with trimtab rl train CONFIG --out model.zip)",
        )
    raw = params.raw("model")
    path = Path(str(raw)).expanduser()
    if not path.is_absolute() and params.where is not None and params.where.file:
        path = Path(params.where.file).parent / path
    where = (
        SourceRef(params.where.file, params.where.row, params.path("model"))
        if params.where is not None
        else None
    )
    return RlPolicy(load_model(path, where=where), where=where)


def _register() -> None:
    from trimtab.policies.registry import _KINDS, register_policy

    if "rl" not in _KINDS:
        register_policy(
            "rl",
            _rl_kind,
            keys=("model",),
            arg="model",
            summary="a trained reinforcement-learning agent (rl train)",
            required=("model",),
        )


_register()
