"""How MixedAE-Full lays the ``V`` views of ``B`` images out for mixing.

The data pipeline gives a list of ``V`` view batches ``(B, C, H, W)``: the
view index is the position in the list, the image index the position in the
batch.  MixedAE mixes groups of ``G`` consecutive images of one batch, so
the views are stacked into one batch of ``V * B`` images:

- *view-major* (the default): ``[view 0 of images 0..B-1, view 1 of images
  0..B-1, ...]``.  With ``B`` divisible by ``G``, every mixed group holds
  one view of ``G`` different images, and the group ``g`` of every view
  holds the same images ``g * G ... g * G + G - 1`` in the same order.
- *image-major* (``views_in_one_group=True``): ``[views 0..V-1 of image 0,
  views 0..V-1 of image 1, ...]``, so the views of one image are mixed
  together (while ``V < G``, with other images' views).
"""
from typing import Sequence, Tuple

import torch

__all__ = ['stack_views', 'stacked_view_ids', 'source_image_ids']


def stack_views(views: Sequence[torch.Tensor],
                views_in_one_group: bool = False) -> torch.Tensor:
    """Stack ``V`` view batches into one batch of ``V * B`` images.

    Args:
        views (Sequence[torch.Tensor]): ``V`` tensors ``(B, C, H, W)``;
            ``views[v][b]`` is view ``v`` of image ``b``.
        views_in_one_group (bool): Image-major order instead of view-major
            (see the module docstring). Defaults to False.

    Returns:
        torch.Tensor: ``(V * B, C, H, W)``.
    """
    if views_in_one_group:
        return torch.stack(tuple(views), dim=1).flatten(0, 1)
    return torch.cat(tuple(views), dim=0)


def stacked_view_ids(num_views: int,
                     batch_size: int,
                     views_in_one_group: bool = False,
                     device=None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Which image and which view every entry of :func:`stack_views` is.

    Args:
        num_views (int): ``V``.
        batch_size (int): ``B``, images per view batch.
        views_in_one_group (bool): As in :func:`stack_views`.
        device (torch.device, optional): Device of the outputs.

    Returns:
        tuple[torch.Tensor, torch.Tensor]: Long tensors ``(V * B, )``: the
        image index (position in the batch) and the view index of each
        stacked entry.
    """
    images = torch.arange(batch_size, device=device)
    views = torch.arange(num_views, device=device)
    if views_in_one_group:
        return (images.repeat_interleave(num_views),
                views.repeat(batch_size))
    return images.repeat(num_views), views.repeat_interleave(batch_size)


def source_image_ids(mix_mask: torch.Tensor,
                     image_ids: torch.Tensor) -> torch.Tensor:
    """The image (not the view) every position of every mixed image shows.

    Args:
        mix_mask (torch.Tensor): Mixing mask ``(S, N)`` of the ``S`` mixed
            images, values in ``[0, G)``.
        image_ids (torch.Tensor): ``(S * G, )`` image index of every mixed
            entry, from :func:`stacked_view_ids`.

    Returns:
        torch.Tensor: ``(S, N)``: ``image_ids[s * G + mix_mask[s, n]]``.
    """
    grouped = image_ids.view(mix_mask.shape[0], -1)
    return grouped.gather(1, mix_mask)
