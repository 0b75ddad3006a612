"""How much a patch's appearance alone tells which image it came from.

``homo_acc`` counts the share of a query's TopK-kept keys that come from the
query's own image.  What share is reachable depends on the data: on natural
colour photographs a patch's colour already points to its image, on
grey-on-black clothing it hardly does.  The *appearance oracle* keeps, for
every patch of a mixed image, the ``K - 1`` other patches most similar in
raw pixels (or in their mean and standard deviation) and reports the
homologous share of those keys, computed exactly like ``homo_acc``: a
reference line for the learnt attention, with no training at all.
"""
from typing import Dict

import torch

from ..models.utils import mix_tokens, random_mixing_mask

__all__ = ['appearance_oracle']


def _homologous_share(scores: torch.Tensor, mask: torch.Tensor,
                      keep: int) -> torch.Tensor:
    """Share of the ``keep`` best-scoring other keys of every query that
    are homologous, averaged over queries ``(B', N)``."""
    scores = scores.clone()
    scores.diagonal(dim1=-2, dim2=-1).fill_(-torch.inf)
    idx = scores.topk(keep, dim=-1).indices  # (B', N, keep)
    key_src = mask.gather(1, idx.flatten(1)).view_as(idx)
    return (key_src == mask[:, :, None]).float()


@torch.no_grad()
def appearance_oracle(images: torch.Tensor,
                      patch_size: int,
                      num_sources: int,
                      topk: int,
                      seed: int = 0) -> Dict[str, float]:
    """``homo_acc`` of attention that keeps the most similar-looking keys.

    Args:
        images (torch.Tensor): Unnormalised images ``(M, C, H, W)``; ``M``
            is rounded down to a multiple of ``num_sources``.
        patch_size (int): Patch size ``p``.
        num_sources (int): ``G`` images per mixed image.
        topk (int): Keys kept per query, the query's own included (as
            homologous attention keeps ``K``, ``homo_acc`` counts the
            ``K - 1`` others).
        seed (int): Seed of the mixing masks.

    Returns:
        dict: ``chance`` (``(N/G - 1) / (N - 1)``), ``pixels`` (keys chosen
        by L2 distance of the raw patches) and ``mean_std`` (by distance of
        each patch's per-channel mean and standard deviation), plus
        ``foreground_share`` (patches that are not one flat value) and
        ``pixels_foreground`` (the pixel oracle on those queries only).
    """
    M, C, H, W = images.shape
    M -= M % num_sources
    p = patch_size
    patches = images[:M].float().unfold(2, p, p).unfold(3, p, p)
    # (M, C, H/p, W/p, p, p) -> (M, N, C, p * p)
    patches = patches.permute(0, 2, 3, 1, 4, 5).reshape(M, -1, C, p * p)
    N = patches.shape[1]
    generator = torch.Generator().manual_seed(seed)
    mask = random_mixing_mask(M // num_sources, N, num_sources,
                              generator=generator)
    mixed = mix_tokens(patches.flatten(2), mask).view(-1, N, C, p * p)
    flat = mixed.flatten(2)
    stats = torch.cat([mixed.mean(-1), mixed.std(-1)], dim=-1)
    pixels = _homologous_share(-torch.cdist(flat, flat), mask, topk - 1)
    mean_std = _homologous_share(-torch.cdist(stats, stats), mask, topk - 1)
    foreground = flat.amax(-1) > flat.amin(-1)
    per_source = N // num_sources
    return dict(
        chance=(per_source - 1) / (N - 1),
        pixels=pixels.mean().item(),
        mean_std=mean_std.mean().item(),
        foreground_share=foreground.float().mean().item(),
        pixels_foreground=pixels[foreground].mean().item())
