"""Track representation quality during pre-training with a kNN probe."""
import random
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from ...evaluation import extract_features, knn_top1

__all__ = ['KNNEvalHook']


@HOOKS.register_module()
class KNNEvalHook(Hook):
    """Weighted kNN top-1 of the frozen encoder, before training and every
    ``interval`` epochs.

    The features of ``bank_dataloader`` (labelled training images, without
    augmentation) are the neighbours of those of ``query_dataloader``
    (held-out images); see :func:`mixedae_mm.evaluation.knn_top1`.  The
    results are logged (``knn/<feature>_top1``, with the epoch) to the
    visualizer's backends -- ``vis_data/scalars.json`` with
    ``LocalVisBackend`` -- and to the log.  It runs on the main process only
    and leaves every random generator as it found it, so the training run
    draws the same numbers with and without it.

    Args:
        bank_dataloader (dict): Data loader config of the bank.
        query_dataloader (dict): Data loader config of the queries.
        features (Sequence[str]): ``'cls'`` and/or ``'mean'``.
        k (int): Neighbours. Defaults to 20.
        temperature (float): Vote temperature. Defaults to 0.07.
        interval (int): Epochs between evaluations. Defaults to 1.
        before_train (bool): Also evaluate the initial weights (epoch 0).
    """

    priority = 'NORMAL'

    def __init__(self,
                 bank_dataloader: dict,
                 query_dataloader: dict,
                 features: Sequence[str] = ('cls', 'mean'),
                 k: int = 20,
                 temperature: float = 0.07,
                 interval: int = 1,
                 before_train: bool = True) -> None:
        self.bank_cfg = bank_dataloader
        self.query_cfg = query_dataloader
        self.features = tuple(features)
        self.k = k
        self.temperature = temperature
        self.interval = interval
        self.evaluate_initial = before_train
        self._loaders: Optional[tuple] = None

    def before_train(self, runner) -> None:
        if self.evaluate_initial and runner.epoch == 0 and runner.iter == 0:
            self._evaluate(runner, epoch=0)

    def after_train_epoch(self, runner) -> None:
        if (self.every_n_epochs(runner, self.interval)
                or self.is_last_train_epoch(runner)):
            self._evaluate(runner, epoch=runner.epoch + 1)

    def _evaluate(self, runner, epoch: int) -> None:
        if not is_main_process():
            return
        states = (torch.get_rng_state(), np.random.get_state(),
                  random.getstate())
        try:
            if self._loaders is None:
                self._loaders = tuple(
                    runner.build_dataloader(cfg, seed=0)
                    for cfg in (self.bank_cfg, self.query_cfg))
            model = runner.model
            if is_model_wrapper(model):
                model = model.module
            bank, query = (extract_features(model, loader, self.features)
                           for loader in self._loaders)
        finally:
            torch.set_rng_state(states[0])
            np.random.set_state(states[1])
            random.setstate(states[2])
        scalars = {}
        for name in self.features:
            scalars[f'knn/{name}_top1'] = knn_top1(
                bank[name], bank['labels'], query[name], query['labels'],
                self.k, self.temperature)
        runner.visualizer.add_scalars(
            dict(epoch=epoch, **scalars), step=runner.iter)
        text = ', '.join(f'{key} {value:.4f}'
                         for key, value in scalars.items())
        runner.logger.info(f'kNN (k={self.k}) after epoch {epoch}: {text}')
