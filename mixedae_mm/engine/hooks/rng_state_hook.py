"""Save and restore every process's random number generators with the
checkpoint."""
import random
from typing import List, Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import CheckpointHook, Hook
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop
from mmpretrain.registry import HOOKS

from .worker_seeding import EpochSeededPipeline, seed_everything

__all__ = ['RNGStateHook']


class _RestoreBeforeNext:
    """Iterator proxy: after ``skip`` batches, call ``restore`` once, right
    before the next batch is fetched (and so before a new pass over the data
    draws the loader's seeds)."""

    def __init__(self, iterator, skip: int, restore) -> None:
        self.iterator = iterator
        self.skip = skip
        self.restore = restore

    def __iter__(self):
        return self

    def __next__(self):
        if self.skip == 0 and self.restore is not None:
            self.restore()
            self.restore = None
        self.skip -= 1
        return next(self.iterator)


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Make ``--resume`` continue with the random numbers of the original run,
    on every process.

    MixedAE draws a fresh mixing mask every step from torch's global
    generator, and augmentations draw from numpy / python ``random``.
    mmengine 0.10.7 restores the seed on resume, not the generators' state,
    so the resumed run would mix and augment differently from the run it
    continues.  This hook stores the torch (CPU and CUDA), numpy and python
    generator states of *every rank* in each checkpoint (``meta.rng_state``:
    ``world_size`` and one state per rank, gathered to rank 0 when a
    checkpoint is due, since mmengine saves on rank 0 only), and gives each
    rank its own states back just before the resumed run fetches its first
    batch:

    - epoch-based loops save at the end of an epoch; the states come back in
      ``before_train_epoch``, before the next epoch's data loader starts;
    - iteration-based loops replay the data loader up to the saved iteration
      (``Advance dataloader ...``, which replays the augmentations of the
      workers too); the states come back after that replay, before the next
      batch is fetched -- also when that batch starts a new pass, whose
      loader seeds are then drawn from the restored generator.

    Data-loader workers keep their own generators, which no checkpoint can
    read.  In epoch-based loops the hook therefore re-seeds each worker at
    its first sample of every epoch from ``(seed, epoch, rank, worker)``
    (:class:`EpochSeededPipeline`), so a resumed run's fresh workers draw
    what the original run's workers drew in that epoch, with or without
    ``persistent_workers``.

    A checkpoint from a run with another number of processes cannot give
    each rank its stream back: every rank is then re-seeded from
    ``(seed, iteration, rank)`` -- deterministic and different per rank,
    but not the draws of an uninterrupted run -- and the log says so.

    Validation: the states are captured when a checkpoint is due, after the
    training iteration or epoch, and the validation loop runs after that (on
    the same generators: its data loader draws its seeds from torch's, its
    pipeline from numpy's).  So the hook saves every generator in
    ``before_val`` and puts it back in ``after_val``: training continues
    from the states the checkpoint holds, with or without validation, and
    a resumed run of a config that validates is exact too.

    Several processes: the hook warns when ``randomness.diff_rank_seed`` is
    off, since every rank then draws the same mixing masks.

    With a fixed seed on the CPU the resumed losses and weights are
    bit-identical to an uninterrupted run (tested for epoch-based loops with
    persistent workers, iteration-based loops with and without a
    validation loop, and two processes).
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._pending: Optional[dict] = None
        self._reseed: Optional[int] = None
        self._gathered: Optional[List[dict]] = None
        self._gathered_at = None
        self._torch_after_fetch: Optional[torch.Tensor] = None
        self._before_val: Optional[dict] = None
        self._epoch = torch.zeros(1, dtype=torch.int64).share_memory_()

    # ------------------------------------------------------------ states
    @staticmethod
    def get_state() -> dict:
        """The current states of all generators of this process.

        Plain tensors, ints and tuples only, so a checkpoint holding them
        loads with ``torch.load(weights_only=True)``.
        """
        name, keys, pos, has_gauss, gauss = np.random.get_state()
        state = dict(
            torch=torch.get_rng_state(),
            numpy=(name, torch.from_numpy(keys.astype(np.int64)), int(pos),
                   int(has_gauss), float(gauss)),
            python=random.getstate())
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            # this process's device only: under DDP every rank has its own
            state['cuda'] = torch.cuda.get_rng_state()
        return state

    @staticmethod
    def set_state(state: dict) -> None:
        """Restore the states returned by :meth:`get_state`."""
        torch.set_rng_state(state['torch'])
        if 'cuda' in state and torch.cuda.is_available():
            if isinstance(state['cuda'], torch.Tensor):
                torch.cuda.set_rng_state(state['cuda'])
            else:  # the previous format: every visible device's state
                torch.cuda.set_rng_state_all(state['cuda'])
        name, keys, *rest = state['numpy']
        if isinstance(keys, torch.Tensor):
            keys = keys.numpy()
        np.random.set_state((name, np.asarray(keys, dtype=np.uint32),
                             *rest))
        python = state['python']
        random.setstate((python[0], tuple(python[1]), python[2]))

    # -------------------------------------------------------------- save
    @staticmethod
    def _checkpoint_due(runner, by_epoch: bool) -> bool:
        """Whether a :class:`CheckpointHook` saves after this iter/epoch."""
        for hook in runner.hooks:
            if not isinstance(hook, CheckpointHook) or \
                    hook.by_epoch != by_epoch:
                continue
            begin = getattr(hook, 'save_begin', 0)
            if by_epoch:
                due = hook.every_n_epochs(runner, hook.interval, begin) or (
                    hook.save_last and hook.is_last_train_epoch(runner))
            else:
                due = hook.every_n_train_iters(
                    runner, hook.interval, begin) or (
                        hook.save_last and hook.is_last_train_iter(runner))
            if due:
                return True
        return False

    def _gather(self, runner) -> None:
        # a collective: every rank runs it, before rank 0 saves
        self._gathered = all_gather_object(self.get_state())
        self._gathered_at = (runner.epoch, runner.iter)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if self._checkpoint_due(runner, by_epoch=False):
            self._gather(runner)

    def after_train_epoch(self, runner) -> None:
        if self._checkpoint_due(runner, by_epoch=True):
            self._gather(runner)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        world_size = get_world_size()
        if self._gathered is not None and \
                self._gathered_at == (runner.epoch, runner.iter):
            ranks = self._gathered
        else:
            # a save no CheckpointHook announced (e.g. a best checkpoint,
            # saved during validation, whose draws are undone after it):
            # only this rank's states
            state = self._before_val or self.get_state()
            ranks = [state] + [None] * (world_size - 1)
            if world_size > 1:
                runner.logger.warning(
                    'RNGStateHook: this checkpoint was saved outside a '
                    'CheckpointHook; it holds the random-generator state of '
                    'rank 0 only, and a resume from it re-seeds the other '
                    'ranks.')
        self._gathered = None
        checkpoint.setdefault('meta', {})['rng_state'] = dict(
            world_size=world_size, ranks=ranks)

    # -------------------------------------------------------------- load
    @staticmethod
    def _per_rank(saved: dict) -> tuple:
        """``(world_size, states)`` of both checkpoint formats."""
        if 'ranks' in saved:
            return saved['world_size'], saved['ranks']
        # before per-rank states: rank 0's states only
        return 1, [saved]

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # only a resume continues a run; load_from starts a new one
        if not runner._resume:
            return
        saved = checkpoint.get('meta', {}).get('rng_state')
        if saved is None:
            runner.logger.warning(
                'The checkpoint has no random-generator state (saved '
                'without RNGStateHook): the resumed run will draw other '
                'mixing masks and augmentations than the original.')
            return
        saved_world, states = self._per_rank(saved)
        world_size, rank = get_world_size(), get_rank()
        if saved_world == world_size and states[rank] is not None:
            self._pending = states[rank]
            return
        # the runner sets its iteration and seed from the checkpoint only
        # after this hook: read them from the checkpoint
        meta = checkpoint['meta']
        seed = meta.get('seed', runner.seed)
        seed = 0 if seed is None else int(seed)
        step = int(meta.get('iter', 0))
        self._reseed = int(np.random.SeedSequence(
            [seed, step, rank]).generate_state(1)[0])
        runner.logger.warning(
            f'The checkpoint holds the random-generator states of '
            f'{saved_world} process(es) and this run has {world_size} (or '
            f'rank {rank} has none): rank {rank} re-seeds its generators '
            f'from (seed={seed}, iter={step}, rank={rank}). The run is '
            'deterministic, but draws other mixing masks and augmentations '
            'than an uninterrupted run.')

    def _restore(self) -> None:
        if self._pending is not None:
            self.set_state(self._pending)
        elif self._reseed is not None:
            seed_everything(self._reseed)
        self._pending = self._reseed = None

    # -------------------------------------------------------- validation
    def before_val(self, runner) -> None:
        self._before_val = self.get_state()

    def after_val(self, runner) -> None:
        # training goes on from the states it had before validating: those
        # a checkpoint saved just before holds
        if self._before_val is not None:
            self.set_state(self._before_val)
            self._before_val = None

    # ---------------------------------------------------------- training
    def before_train(self, runner) -> None:
        randomness = getattr(runner, '_randomness_cfg', None) or {}
        if get_world_size() > 1 and not randomness.get('diff_rank_seed'):
            runner.logger.warning(
                f'{get_world_size()} processes share one seed '
                '(randomness.diff_rank_seed is off): every rank draws the '
                'same mixing masks and augmentations. Set '
                'randomness=dict(diff_rank_seed=True) in the config to give '
                'each rank its own (seed + rank).')
        if isinstance(runner.train_loop, EpochBasedTrainLoop):
            seed = 0 if runner.seed is None else runner.seed
            EpochSeededPipeline.wrap_dataset(
                runner.train_dataloader.dataset, self._epoch, seed,
                get_rank())

    def before_train_epoch(self, runner) -> None:
        loop = runner.train_loop
        self._epoch[0] = runner.epoch
        if isinstance(loop, EpochBasedTrainLoop):
            resuming = self._pending is not None or self._reseed is not None
            self._restore()
            if resuming and loop.dataloader.persistent_workers:
                # the original run's persistent iterator was created once;
                # creating this run's draws its base seed from torch's
                # generator: put torch's state back after that draw
                self._torch_after_fetch = torch.get_rng_state()
        elif isinstance(loop, IterBasedTrainLoop) and (
                self._pending is not None or self._reseed is not None):
            # after the loop's replay of ``loop.iter`` batches
            loop.dataloader_iterator = _RestoreBeforeNext(
                loop.dataloader_iterator, loop.iter, self._restore)

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        loop = runner.train_loop
        iterator = getattr(loop, 'dataloader_iterator', None)
        if isinstance(iterator, _RestoreBeforeNext):
            loop.dataloader_iterator = iterator.iterator
        if self._torch_after_fetch is not None:
            torch.set_rng_state(self._torch_after_fetch)
            self._torch_after_fetch = None
        # any other loop: restore before its first iteration
        self._restore()
