"""BatchNorm over sub-batches: MoCo's shuffling BN on a single process.

MoCo computes the keys of a batch with the momentum encoder after
shuffling the batch across GPUs (``batch_shuffle_ddp``), so that a query
and its key are normalised with the statistics of *different* sets of
images.  Otherwise the positive key shares the query's batch statistics
while the queued negatives come from older batches, and the encoder can
tell them apart by those statistics instead of by content ("cheating",
He et al. 2020, Sec. 3.3).  On one process the shuffle is a permutation
inside one BatchNorm batch and changes nothing.

``SplitBN`` normalises ``num_splits`` sub-batches of the batch separately
in training, as ``num_splits`` GPUs with plain BN would; images
``i, i + S, i + 2S, ...`` form one sub-batch (``S = num_splits``).  With
MoCo's shuffle of the keys, a query and its key then fall into different
sub-batches.  Running statistics are the mean over the sub-batches, and
evaluation uses them like ``nn.BatchNorm2d``.  This is the
``SplitBatchNorm`` of the official MoCo CIFAR-10 demo (facebookresearch/
moco, ``colab/moco_cifar10_demo.ipynb``), used there with 8 splits.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS

__all__ = ['SplitBatchNorm2d']


@MODELS.register_module('SplitBN')
class SplitBatchNorm2d(nn.BatchNorm2d):
    """``nn.BatchNorm2d`` whose training statistics are per sub-batch.

    Args:
        num_features (int): Channels ``C``.
        num_splits (int): Sub-batches ``S``; the batch size must be a
            multiple of it in training. Defaults to 8.
        **kwargs: ``nn.BatchNorm2d``'s ``eps``, ``momentum``, ``affine``.
    """

    def __init__(self, num_features: int, num_splits: int = 8,
                 **kwargs) -> None:
        super().__init__(num_features, **kwargs)
        if not isinstance(num_splits, int) or num_splits < 1:
            raise ValueError(
                f'num_splits must be a positive int, got {num_splits!r}.')
        self.num_splits = num_splits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``x`` ``(N, C, H, W)``.

        Returns:
            torch.Tensor: ``(N, C, H, W)``.
        """
        if not self.training or self.num_splits == 1:
            return super().forward(x)
        n, c, h, w = x.shape
        s = self.num_splits
        if n % s:
            raise ValueError(
                f'SplitBN with num_splits={s} needs a batch that is a '
                f'multiple of {s}, got {n}; change the batch size or '
                'num_splits.')
        factor = self.momentum
        if self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if factor is None:  # cumulative moving average, as BatchNorm
                factor = 1.0 / float(self.num_batches_tracked)
        # (N, C, H, W) -> (N / S, S * C, H, W): image i goes to channel
        # block i % S, so each block is one sub-batch with its own stats
        tracked = self.running_mean is not None
        mean = self.running_mean.repeat(s) if tracked else None
        var = self.running_var.repeat(s) if tracked else None
        out = F.batch_norm(
            x.reshape(n // s, s * c, h, w), mean, var,
            self.weight.repeat(s) if self.affine else None,
            self.bias.repeat(s) if self.affine else None, True,
            0.0 if factor is None else factor, self.eps)
        if tracked:
            with torch.no_grad():
                self.running_mean.copy_(mean.view(s, c).mean(dim=0))
                self.running_var.copy_(var.view(s, c).mean(dim=0))
        return out.view(n, c, h, w)
