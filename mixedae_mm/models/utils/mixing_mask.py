"""The mixing mask of MixedAE and the token gathers that use it.

A mixing mask ``M`` of shape ``(B / G, N)`` holds, for every position of
every mixed image, the index in ``[0, G)`` of the source image that shows its
patch there.  ``G = 1 / r`` images form one group; images
``g * G, ..., g * G + G - 1`` of the batch form group ``g``.

The mask is *symmetric*: each source shows exactly ``N / G`` of its patches,
at positions chosen uniformly at random (a random permutation of the
positions cut into ``G`` equal parts), so every source image is seen exactly
as an MAE image with mask ratio ``1 - r``.
"""
from typing import Optional

import torch

__all__ = [
    'num_sources_from_ratio', 'check_mixable', 'random_mixing_mask',
    'mix_tokens', 'unmix_tokens', 'source_visibility'
]


def num_sources_from_ratio(mixing_ratio: float) -> int:
    """Return ``G = 1 / r``, the number of images mixed into one.

    Args:
        mixing_ratio (float): The share ``r`` of its patches each source
            shows, in ``(0, 0.5]`` with ``1 / r`` an integer.

    Returns:
        int: ``G``.
    """
    if not 0 < mixing_ratio <= 0.5:
        raise ValueError(
            f'mixing_ratio must be in (0, 0.5], got {mixing_ratio}: r = 0.5 '
            'mixes 2 images, r = 0.25 (the default) mixes 4.')
    num_sources = round(1 / mixing_ratio)
    if abs(num_sources * mixing_ratio - 1) > 1e-6:
        raise ValueError(
            f'1 / mixing_ratio must be an integer, got 1 / {mixing_ratio} = '
            f'{1 / mixing_ratio:.4g}; use e.g. 0.5, 1/3, 0.25 or 0.2.')
    return num_sources


def check_mixable(batch_size: int, num_patches: int, num_sources: int) -> None:
    """Raise a ``ValueError`` unless a batch can be cut into mixed groups.

    Args:
        batch_size (int): Images in the batch (per process).
        num_patches (int): Patches per image ``N``.
        num_sources (int): Images per mixed image ``G = 1 / r``.
    """
    if batch_size % num_sources:
        raise ValueError(
            f'The batch of {batch_size} images (per process) is not '
            f'divisible by 1/r = {num_sources}: MixedAE mixes groups of '
            f'{num_sources} consecutive images. Set '
            f'train_dataloader.batch_size to a multiple of {num_sources} and '
            'keep drop_last=True so that the last batch is full too.')
    if num_patches % num_sources:
        raise ValueError(
            f'{num_patches} patches per image are not divisible by 1/r = '
            f'{num_sources}, so the sources cannot show equal shares. Change '
            'img_size, patch_size or mixing_ratio.')


def random_mixing_mask(num_groups: int,
                       num_patches: int,
                       num_sources: int,
                       device: Optional[torch.device] = None,
                       generator: Optional[torch.Generator] = None
                       ) -> torch.Tensor:
    """Draw a symmetric random mixing mask.

    Args:
        num_groups (int): Number of mixed images ``B / G``.
        num_patches (int): Patches per image ``N``; divisible by ``G``.
        num_sources (int): Images per mixed image ``G``.
        device (torch.device, optional): Device of the mask.
        generator (torch.Generator, optional): Random generator; the global
            one when None.

    Returns:
        torch.Tensor: Long tensor ``(num_groups, N)`` with values in
        ``[0, G)``, each value exactly ``N / G`` times per row.
    """
    check_mixable(num_groups * num_sources, num_patches, num_sources)
    noise = torch.rand(
        num_groups, num_patches, device=device, generator=generator)
    positions = noise.argsort(dim=1)
    shares = torch.arange(
        num_patches, device=noise.device).div(
            num_patches // num_sources, rounding_mode='floor')
    mask = torch.empty_like(positions)
    mask.scatter_(1, positions, shares.expand(num_groups, -1))
    return mask


def mix_tokens(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Build the mixed sequences: position ``n`` of group ``g`` takes the
    token of source ``M[g, n]`` at position ``n``.

    Args:
        tokens (torch.Tensor): ``(B, N, D)``, images grouped in order.
        mask (torch.Tensor): Mixing mask ``(B / G, N)``.

    Returns:
        torch.Tensor: Mixed tokens ``(B / G, N, D)``.
    """
    num_groups, num_patches = mask.shape
    dim = tokens.shape[-1]
    grouped = tokens.view(num_groups, -1, num_patches, dim)
    index = mask[:, None, :, None].expand(-1, 1, -1, dim)
    return grouped.gather(1, index).squeeze(1)


def source_visibility(mask: torch.Tensor, num_sources: int) -> torch.Tensor:
    """Which positions each source image shows in its mixed image.

    Args:
        mask (torch.Tensor): Mixing mask ``(B / G, N)``.
        num_sources (int): ``G``.

    Returns:
        torch.Tensor: Bool ``(B, N)``: ``True`` where image ``b`` shows its
        own patch (MAE's "visible"), ``False`` where it is hidden.
    """
    sources = torch.arange(num_sources, device=mask.device)
    visible = mask[:, None, :] == sources[None, :, None]
    return visible.flatten(0, 1)


def unmix_tokens(mixed: torch.Tensor, mask: torch.Tensor, fill: torch.Tensor,
                 num_sources: int) -> torch.Tensor:
    """Split mixed sequences back into one sequence per source image.

    Args:
        mixed (torch.Tensor): ``(B / G, N, D)`` features of mixed images.
        mask (torch.Tensor): Mixing mask ``(B / G, N)``.
        fill (torch.Tensor): What to put where a source is hidden, ``D``
            values in any shape (e.g. MAE's mask token ``(1, 1, D)``).
        num_sources (int): ``G``.

    Returns:
        torch.Tensor: ``(B, N, D)``: for image ``b`` of group ``g``, the mixed
        features at the positions it shows and ``fill`` elsewhere.
    """
    visible = source_visibility(mask, num_sources)
    visible = visible.view(mask.shape[0], num_sources, -1, 1)
    out = torch.where(visible, mixed[:, None], fill.reshape(-1).to(mixed))
    return out.flatten(0, 1)
