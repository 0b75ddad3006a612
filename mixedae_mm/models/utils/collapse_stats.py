"""Collapse signals of a Siamese method's embeddings, for the training log.

A Siamese method collapses when every image gets (nearly) the same
embedding: the two views then agree perfectly, yet the embedding says
nothing about the image.  Two numbers tell this apart from healthy
training, both computed without gradient on one batch:

- ``emb_std``: the standard deviation over the batch of each dimension of
  the L2-normalised embeddings, averaged over the dimensions.  For
  embeddings spread evenly over the unit sphere of ``D`` dimensions it is
  about ``1 / sqrt(D)`` (0.088 for ``D = 128``); for a collapsed
  embedding it is 0.
- ``view_cos``: the mean cosine similarity between an image's online
  embedding and its target (the other view's), in ``[-1, 1]``: the
  alignment of the two views.  1 with ``emb_std`` near 0 is a collapse;
  1 with ``emb_std`` near ``1 / sqrt(D)`` is invariance.

Neither name contains ``loss``, so MMEngine's ``parse_losses`` logs them
without adding them to the loss.
"""
from typing import Dict

import torch
import torch.nn.functional as F

__all__ = ['embedding_stats']


@torch.no_grad()
def embedding_stats(online: torch.Tensor,
                    target: torch.Tensor) -> Dict[str, torch.Tensor]:
    """``emb_std`` of ``online`` and ``view_cos`` between the two.

    Args:
        online (torch.Tensor): Online embeddings ``(N, D)``, ``N >= 2``
            (normalised or not; they are L2-normalised here).
        target (torch.Tensor): The targets of the same images from the
            other view ``(N, D)``.

    Returns:
        dict[str, torch.Tensor]: Scalars ``emb_std`` and ``view_cos``
        (detached).
    """
    if online.dim() != 2 or online.shape != target.shape:
        raise ValueError(
            'embedding_stats needs online and target embeddings of the same '
            f'shape (N, D), got {tuple(online.shape)} and '
            f'{tuple(target.shape)}.')
    if online.shape[0] < 2:
        raise ValueError(
            'embedding_stats needs at least 2 embeddings for a standard '
            f'deviation over the batch, got {online.shape[0]}.')
    z = F.normalize(online.detach().float(), dim=1)
    t = F.normalize(target.detach().float(), dim=1)
    return dict(
        emb_std=z.std(dim=0).mean(), view_cos=(z * t).sum(dim=1).mean())
