"""MixedAE-Full: object-aware MixedAE pre-training on multi-view inputs."""
from typing import Dict, List, Sequence, Tuple

import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..utils import (check_mixable, source_image_ids, stack_views,
                     stacked_view_ids)
from .mixedae import MixedAE

__all__ = ['MixedAEFull']


@MODELS.register_module()
class MixedAEFull(MixedAE):
    """MixedAE-Full / Full*: MixedAE on ``V`` overlapping views per image.

    The paper's MixedAE-Full (62.3 GPU-days at 300 epochs) and Full*
    (30.8; MixedAE: 16.9) make homologous recognition object-aware with
    MultiSiam's single-centric-object guarantee: crops whose boxes overlap
    enough (IoU above a threshold) show the same object.  The sources give
    no more than that; the rest is our reading:

    - ``V = 4`` (Full) and ``V = 2`` (Full*) views per image, read from the
      budgets (cost grows with ``V``); the views come from
      :class:`~mixedae_mm.datasets.IoUBoundedMultiViewCrop` (pairwise
      IoU >= 0.5 by default);
    - every view is an image for mixing and reconstruction: the ``V`` view
      batches ``(B, C, H, W)`` are stacked into ``V * B`` images (see
      :mod:`~mixedae_mm.models.utils.view_layout`) and go through
      :meth:`MixedAE.loss` unchanged, so a step costs what MixedAE's costs
      on ``V * B`` images;
    - by default (view-major) the views of one image never share a mixed
      group: group ``g`` of view ``v`` mixes view ``v`` of images
      ``g * G ... g * G + G - 1``; ``views_in_one_group=True`` mixes them
      together instead (needs ``V < G`` so that a mixed image still holds
      more than one image);
    - with ``cross_view_positives`` (the default), the homologous
      contrastive loss treats the patches of *all views of the same image*
      as positives: its rows join the ``V`` mixed images of the same ``G``
      images (features ``(B / G, V * N, D)``, ids = image index), so a
      patch must recognise its object in the other views too.  With
      ``views_in_one_group`` a row is one mixed image, ids = image index.
      Without ``cross_view_positives`` the loss is MixedAE's (rows = mixed
      images, positives = the same view of the same image);
    - ``homo_acc`` is MixedAE's: about the mixing, within one mixed image.

    Args:
        backbone (dict): A :class:`MixedAEViT` config.
        neck (dict): A :class:`MixedAEPretrainDecoder` config.
        head (dict): A :class:`MixedAEPretrainHead` config.
        num_views (int): ``V``; must equal the transform's ``num_views``.
            Defaults to 4.
        views_in_one_group (bool): Mix the views of one image together
            (image-major layout). Defaults to False.
        cross_view_positives (bool): Count the patches of the other views
            of the same image as positives. Defaults to True.
        **kwargs: Other arguments of :class:`MixedAE` (``init_cfg``,
            ``data_preprocessor`` ...).
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 num_views: int = 4,
                 views_in_one_group: bool = False,
                 cross_view_positives: bool = True,
                 **kwargs) -> None:
        super().__init__(backbone=backbone, neck=neck, head=head, **kwargs)
        if not isinstance(num_views, int) or num_views < 1:
            raise ValueError(
                f'num_views must be an int >= 1, got {num_views!r}.')
        num_sources = self.backbone.num_sources
        if views_in_one_group and num_views >= num_sources:
            raise ValueError(
                f'views_in_one_group=True with num_views={num_views} >= '
                f'G={num_sources} puts only views of one image into some '
                'mixed images, leaving homologous recognition nothing to '
                'tell apart; use fewer views than G, or the default '
                'views_in_one_group=False.')
        self.num_views = num_views
        self.views_in_one_group = views_in_one_group
        self.cross_view_positives = cross_view_positives

    def check_views(self, inputs: Sequence[torch.Tensor]) -> None:
        """Raise a ``ValueError`` naming the problem unless ``inputs`` are
        ``V`` view batches of one shape whose batch size ``G`` divides."""
        if isinstance(inputs, torch.Tensor) or len(inputs) != self.num_views:
            got = (f'one tensor {tuple(inputs.shape)}' if isinstance(
                inputs, torch.Tensor) else f'{len(inputs)} views')
            raise ValueError(
                f'MixedAEFull(num_views={self.num_views}) expects a list of '
                f'{self.num_views} view batches (B, C, H, W), as '
                f'IoUBoundedMultiViewCrop(num_views={self.num_views}) and '
                f'PackInputs make them, but got {got}; set the same '
                'num_views in the model and the transform.')
        shapes = sorted({tuple(view.shape) for view in inputs})
        if len(shapes) > 1:
            raise ValueError(
                f'The views have different shapes {shapes}; give every view '
                'the same size (one scale in IoUBoundedMultiViewCrop).')
        check_mixable(inputs[0].shape[0], self.backbone.num_patches,
                      self.backbone.num_sources)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """Compute the losses of one batch of multi-view images.

        Args:
            inputs (List[torch.Tensor]): ``V`` view batches ``(B, C, H, W)``,
                ``inputs[v][b]`` is view ``v`` of image ``b``; ``B``
                divisible by ``G``.
            data_samples (List[DataSample]): ``B`` samples, unused.

        Returns:
            dict[str, torch.Tensor]: ``loss_rec`` (over all ``V * B``
            views), ``loss_hc`` and ``homo_acc``.
        """
        self.check_views(inputs)
        images = stack_views(inputs, self.views_in_one_group)
        return super().loss(images, data_samples, **kwargs)

    def contrastive_rows(self, patches: torch.Tensor, mix_mask: torch.Tensor
                         ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Rows of the homologous contrastive loss (see the class docstring).

        Args:
            patches (torch.Tensor): Encoder patch features ``(S, N, D)`` of
                the ``S = V * B / G`` mixed images.
            mix_mask (torch.Tensor): Mixing mask ``(S, N)``.

        Returns:
            tuple[torch.Tensor, torch.Tensor]: View-major: features
            ``(B / G, V * N, D)`` (row ``g`` = the mixed images of group
            ``g`` of views ``0 .. V - 1``, in view order) and image ids
            ``(B / G, V * N)``.  Image-major: ``patches`` and image ids
            ``(S, N)``.  Without ``cross_view_positives``: MixedAE's rows.
        """
        if not self.cross_view_positives:
            return super().contrastive_rows(patches, mix_mask)
        num_mixed, num_patches, dim = patches.shape
        batch_size = num_mixed * self.backbone.num_sources // self.num_views
        image_ids, _ = stacked_view_ids(self.num_views, batch_size,
                                        self.views_in_one_group,
                                        mix_mask.device)
        ids = source_image_ids(mix_mask, image_ids)
        if self.views_in_one_group:
            return patches, ids
        rows = patches.view(self.num_views, -1, num_patches, dim)
        ids = ids.view(self.num_views, -1, num_patches)
        return (rows.transpose(0, 1).flatten(1, 2),
                ids.transpose(0, 1).flatten(1, 2))
