"""Stop a run on a non-finite loss before it reaches a checkpoint."""
import math
from typing import Optional, Sequence

import torch
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

__all__ = ['NonFiniteLossHook']


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raise a clear error when a training loss is NaN or infinite.

    It runs after every iteration with a priority above mmengine's
    ``CheckpointHook`` and ``LoggerHook``, so a diverged step never gets
    saved over the last good checkpoint.  (Under ``AmpOptimWrapper`` a
    non-finite *gradient* is already skipped by loss scaling; a non-finite
    *loss* means the forward pass itself broke.)

    Args:
        keys (Sequence[str], optional): Logged values to check; None checks
            every key that contains ``'loss'``.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, keys: Optional[Sequence[str]] = None) -> None:
        self.keys = keys

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        if not outputs:
            return
        keys = self.keys or [k for k in outputs if 'loss' in k]
        bad = {}
        for key in keys:
            value = outputs.get(key)
            if value is None:
                continue
            value = float(value.detach()) if isinstance(
                value, torch.Tensor) else float(value)
            if not math.isfinite(value):
                bad[key] = value
        if bad:
            raise RuntimeError(
                f'Non-finite loss at iteration {runner.iter + 1} (epoch '
                f'{runner.epoch + 1}): {bad}. Training stopped before this '
                'step was checkpointed; the last checkpoint in '
                f'{runner.work_dir} is intact. Lower the learning rate, '
                'check the data, or resume with --resume.')
