"""A fixed, class-balanced subset of a labelled data set."""
from typing import Union

import numpy as np
from mmpretrain.registry import DATASETS
from torch.utils.data import Dataset

__all__ = ['ClassBalancedSubset', 'class_balanced_indices']


def class_balanced_indices(labels: np.ndarray, per_class: int,
                           seed: int = 0) -> np.ndarray:
    """``per_class`` indices of every class, drawn without replacement.

    The draw depends on ``labels``, ``per_class`` and ``seed`` only, so
    every method of a comparison gets the same labelled images.

    Args:
        labels (np.ndarray): Class of every sample ``(M,)``.
        per_class (int): Samples kept of every class.
        seed (int): Seed of the draw. Defaults to 0.

    Returns:
        np.ndarray: Sorted indices ``(C * per_class,)``.
    """
    labels = np.asarray(labels)
    if per_class < 1:
        raise ValueError(f'per_class must be at least 1, got {per_class}.')
    rng = np.random.default_rng(seed)
    chosen = []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        if len(members) < per_class:
            raise ValueError(
                f'class {cls} has {len(members)} samples, fewer than '
                f'per_class={per_class}; lower per_class.')
        chosen.append(rng.choice(members, per_class, replace=False))
    return np.sort(np.concatenate(chosen))


@DATASETS.register_module()
class ClassBalancedSubset(Dataset):
    """``per_class`` samples of every class of ``dataset``, fixed by
    ``seed``: e.g. the 1 % (60 a class) or 10 % (600 a class) labelled
    splits of Fashion-MNIST's 60,000 training images.

    Args:
        dataset (dict | Dataset): An MMPretrain data set (config or
            object) with ``get_gt_labels()``.
        per_class (int): Samples kept of every class.
        seed (int): Seed of the draw; the same seed gives the same subset
            whatever trains on it. Defaults to 0.
    """

    def __init__(self,
                 dataset: Union[dict, Dataset],
                 per_class: int,
                 seed: int = 0) -> None:
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        self.dataset = dataset
        self.indices = class_balanced_indices(dataset.get_gt_labels(),
                                              per_class, seed)
        self.metainfo = getattr(dataset, 'metainfo', {})

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, idx: int) -> dict:
        return self.dataset[int(self.indices[idx])]

    def get_gt_labels(self) -> np.ndarray:
        """Labels of the kept samples ``(len(self),)``."""
        return self.dataset.get_gt_labels()[self.indices]
