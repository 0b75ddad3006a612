"""A MixMask batch in pictures: the two sources of every mixed pair, the
shared block mask, the mixed view, its switch view and λ."""
from typing import Dict, Optional

import matplotlib
import numpy as np
import torch

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ['mixmask_batch', 'draw_mixmask']


@torch.no_grad()
def mixmask_batch(images: torch.Tensor, mask: torch.Tensor,
                  x_mix: torch.Tensor) -> Dict[str, object]:
    """Collect one MixMask batch for drawing.

    Image ``i`` of the batch is mixed with image ``N - 1 - i`` under one
    mask shared by the batch (Eq. 1 of the paper):
    ``x_mix[i] = M * x[i] + (1 - M) * x[N - 1 - i]``, so ``λ = mean(M)`` is
    image ``i``'s share of ``x_mix[i]`` and ``x_mix[N - 1 - i]`` is its
    switch view, where its share is ``1 - λ``.

    Args:
        images (torch.Tensor): ``(N, C, H, W)`` pixels in [0, 255] (mixing
            pixels equals mixing normalised images: the mask is binary).
        mask (torch.Tensor): ``(H, W)`` binary mask, 1 where ``x_mix[i]``
            shows image ``i``.
        x_mix (torch.Tensor): ``(N, C, H, W)`` the mixed batch (from the
            algorithm's ``mix``).

    Returns:
        dict: ``sources`` and ``mixed`` ``(N, H, W, C)`` in [0, 1];
        ``mask`` ``(H, W)`` float; ``lam`` (float, the mask's mean);
        ``partners`` ``(N, )`` (``N - 1 - i``).
    """
    if images.dim() != 4 or x_mix.shape != images.shape:
        raise ValueError(
            f'images and x_mix must both be (N, C, H, W) of one shape, got '
            f'{tuple(images.shape)} and {tuple(x_mix.shape)}.')
    if mask.shape != images.shape[-2:]:
        raise ValueError(f'mask must be (H, W) = {tuple(images.shape[-2:])}'
                         f', got {tuple(mask.shape)}.')

    def to_hwc(x: torch.Tensor) -> np.ndarray:
        return (x / 255.).clamp(0, 1).permute(0, 2, 3, 1).cpu().numpy()

    num = len(images)
    return dict(
        sources=to_hwc(images.float()),
        mixed=to_hwc(x_mix.float()),
        mask=mask.float().cpu().numpy(),
        lam=float(mask.float().mean()),
        partners=np.arange(num)[::-1].copy())


def _show(ax, img: np.ndarray, title: str, **kwargs) -> None:
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
        kwargs.setdefault('cmap', 'gray')
    ax.imshow(img, vmin=0, vmax=1, interpolation='nearest', **kwargs)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def _outline(ax, mask: np.ndarray, color: str) -> None:
    """The border between the mask's 1 and 0 regions."""
    if 0 < mask.mean() < 1:
        ax.contour(mask, levels=[0.5], colors=[color], linewidths=1.5)


def draw_mixmask(result: Dict[str, object],
                 out_file: str,
                 grid_size: Optional[int] = None,
                 names: Optional[list] = None,
                 max_pairs: int = 4) -> Dict[str, np.ndarray]:
    """Draw :func:`mixmask_batch`'s result into a PNG.

    One row per mixed pair ``(i, N - 1 - i)``: source ``i``; its partner;
    the mask (white: from ``i``, black: from the partner; the grid of mask
    cells in red); the mixed view ``x_mix[i]`` with the mask's border and
    ``λ``; the switch view ``x_mix[N - 1 - i]`` with ``1 - λ``.

    Args:
        result (dict): From :func:`mixmask_batch`.
        out_file (str): Output PNG.
        grid_size (int, optional): Mask cells per side, for the grid lines.
        names (list[str], optional): Names of the ``N`` images.
        max_pairs (int): Rows drawn at most.

    Returns:
        dict[str, np.ndarray]: Every panel's title and the array it shows
        (read back from the figure), so that what is drawn can be checked.
    """
    sources, mixed = result['sources'], result['mixed']
    mask, lam = result['mask'], result['lam']
    partners = result['partners']
    num = len(sources)
    names = list(names) if names else [f'image {i}' for i in range(num)]
    pairs = list(range(min(num // 2, max_pairs)))
    fig, axes = plt.subplots(
        len(pairs), 5, figsize=(15, 3.4 * len(pairs) + .5), squeeze=False,
        layout='constrained')
    height, width = mask.shape
    for row, i in enumerate(pairs):
        j = int(partners[i])
        ax = axes[row]
        _show(ax[0], sources[i], f'source a: {names[i]} (#{i})')
        _show(ax[1], sources[j], f'source b: {names[j]} (#{j})')
        _show(ax[2], mask, f'mask M of #{i} and #{j} (white: a)\n'
              f'mean {mask.mean():.4f}', cmap='gray')
        if grid_size:
            for k in range(1, grid_size):
                ax[2].axhline(k * height / grid_size - .5, color='red',
                              linewidth=.6)
                ax[2].axvline(k * width / grid_size - .5, color='red',
                              linewidth=.6)
        _show(ax[3], mixed[i], f'mixed view #{i} = M*a + (1-M)*b\n'
              f'λ (share of a) = {lam:.4f}')
        _outline(ax[3], mask, 'yellow')
        _show(ax[4], mixed[j], f'switch view #{j} = M*b + (1-M)*a\n'
              f'share of a = 1-λ = {1 - lam:.4f}')
        _outline(ax[4], mask, 'yellow')
    grid = f'{grid_size}x{grid_size} cells, ' if grid_size else ''
    fig.suptitle(
        f'MixMask: one mask for the batch of {num} ({grid}λ = mean(M) = '
        f'{lam:.4f}); image i is mixed with image {num - 1} - i')
    drawn = {
        ax.get_title(): np.asarray(ax.get_images()[0].get_array())
        for ax in axes.flat
    }
    fig.savefig(out_file, dpi=100)
    plt.close(fig)
    return drawn
