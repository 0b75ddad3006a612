"""Data-loader workers whose random draws depend on the epoch only."""
import random
from typing import Callable

import numpy as np
import torch
from torch.utils.data import get_worker_info

__all__ = ['EpochSeededPipeline', 'seed_everything']


def seed_everything(seed: int) -> None:
    """Seed torch (CPU and CUDA), numpy and python ``random``."""
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


class EpochSeededPipeline:
    """A data pipeline that re-seeds its worker at each epoch's first sample.

    A data-loader worker's generators live in the worker process, which no
    checkpoint can read; with ``persistent_workers`` they carry over from
    epoch to epoch, so a resumed run's fresh workers would draw other
    augmentations.  Wrapped in this, the worker seeds numpy, python
    ``random`` and torch from ``(seed, epoch, rank, worker id)`` whenever the
    epoch (a shared-memory counter the main process sets before each epoch)
    changes.  Its draws are then a function of the epoch, not of the
    worker's history, in an uninterrupted and a resumed run alike.  In the
    main process (``num_workers=0``) it only calls the pipeline.

    Args:
        pipeline (Callable): The dataset's pipeline.
        epoch (torch.Tensor): Shared ``int64`` tensor ``(1, )``, the epoch.
        seed (int): The run's seed.
        rank (int): The process's rank.
    """

    def __init__(self, pipeline: Callable, epoch: torch.Tensor, seed: int,
                 rank: int) -> None:
        self.pipeline = pipeline
        self.epoch = epoch
        self.seed = seed
        self.rank = rank
        self._seeded_epoch = None

    def __call__(self, results: dict):
        worker = get_worker_info()
        if worker is not None:
            epoch = int(self.epoch[0])
            if epoch != self._seeded_epoch:
                state = np.random.SeedSequence(
                    [self.seed, epoch, self.rank, worker.id]).generate_state(1)
                seed_everything(int(state[0]))
                self._seeded_epoch = epoch
        return self.pipeline(results)

    def __getattr__(self, name: str):
        # ``transforms`` and the like of the wrapped Compose
        if name == 'pipeline':
            raise AttributeError(name)
        return getattr(self.pipeline, name)

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.pipeline!r})'

    @classmethod
    def wrap_dataset(cls, dataset, epoch: torch.Tensor, seed: int,
                     rank: int) -> int:
        """Wrap the pipeline of ``dataset`` and of the data sets inside it
        (``RepeatDataset``, ``ConcatDataset`` ...).

        Returns:
            int: How many pipelines were wrapped (0 for a data set without
            ``pipeline``, which then keeps its workers' own seeding).
        """
        wrapped = 0
        pipeline = getattr(dataset, 'pipeline', None)
        if pipeline is not None and not isinstance(pipeline, cls):
            dataset.pipeline = cls(pipeline, epoch, seed, rank)
            wrapped += 1
        inner = [getattr(dataset, 'dataset', None)]
        inner += list(getattr(dataset, 'datasets', None) or [])
        for child in inner:
            if child is not None:
                wrapped += cls.wrap_dataset(child, epoch, seed, rank)
        return wrapped
