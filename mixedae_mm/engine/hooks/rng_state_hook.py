"""Save and restore the random number generators with the checkpoint."""
import random
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop
from mmpretrain.registry import HOOKS

__all__ = ['RNGStateHook']


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Make ``--resume`` continue with the random numbers of the original run.

    MixedAE draws a fresh mixing mask every step from torch's global
    generator, and augmentations draw from numpy / python ``random``.
    mmengine 0.10.7 restores the seed on resume, not the generators' state,
    so the resumed run would mix and augment differently from the run it
    continues.  This hook stores the CPU (and CUDA) torch, numpy and python
    generator states in every checkpoint, and restores them where the
    original run stood when it saved:

    - epoch-based loops save at the end of an epoch, so the states come back
      in ``before_train_epoch``, before the next epoch's data loader starts;
    - iteration-based loops replay the data loader up to the saved iteration
      (``Advance dataloader ...``), which replays the augmentations' numpy /
      python draws too; only torch's generators (mixing masks, drop path)
      come back, in the first ``before_train_iter``, after that replay.

    With a fixed seed on the CPU the resumed losses and weights are then
    bit-identical to an uninterrupted run (tested).  Not covered: an
    iteration-based resume whose next batch starts a new pass over the data
    set (the loader's base seed is drawn once more), and data-loader
    workers, which are re-seeded by mmengine rather than restored.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._pending: Optional[dict] = None

    @staticmethod
    def get_state() -> dict:
        """The current states of all generators."""
        state = dict(
            torch=torch.get_rng_state(),
            numpy=np.random.get_state(),
            python=random.getstate())
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state['cuda'] = torch.cuda.get_rng_state_all()
        return state

    @staticmethod
    def set_state(state: dict, torch_only: bool = False) -> None:
        """Restore the states returned by :meth:`get_state`."""
        torch.set_rng_state(state['torch'])
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state['cuda'])
        if not torch_only:
            np.random.set_state(state['numpy'])
            random.setstate(state['python'])

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})['rng_state'] = self.get_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # only a resume continues a run; load_from starts a new one
        if runner._resume:
            self._pending = checkpoint.get('meta', {}).get('rng_state')
            if self._pending is None:
                runner.logger.warning(
                    'The checkpoint has no random-generator state (saved '
                    'without RNGStateHook): the resumed run will draw other '
                    'mixing masks and augmentations than the original.')

    def _restore(self, torch_only: bool) -> None:
        if self._pending is not None:
            self.set_state(self._pending, torch_only)
            self._pending = None

    def before_train_epoch(self, runner) -> None:
        if isinstance(runner.train_loop, EpochBasedTrainLoop):
            self._restore(torch_only=False)

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        self._restore(torch_only=True)
