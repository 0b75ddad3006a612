"""The MixedAE algorithm."""
from typing import Dict, List, Tuple

import torch
from mmpretrain.models import BaseSelfSupervisor
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..utils import source_visibility

__all__ = ['MixedAE']


@MODELS.register_module()
class MixedAE(BaseSelfSupervisor):
    """MixedAE.

    Implementation of `Mixed Autoencoder for Self-supervised Visual
    Representation Learning <https://arxiv.org/abs/2303.17152>`_ (CVPR 2023):
    groups of ``G = 1 / r`` images are mixed into one, encoded with
    homologous attention, unmixed and reconstructed as in MAE, with a
    homologous contrastive regulariser.  Logs ``loss_rec``, ``loss_hc`` and
    ``homo_acc`` (the share of the TopK-kept keys, a query's own key left
    out, that are homologous; chance is ``(N/G - 1) / (N - 1)``, about
    ``1/G``).
    """

    def extract_feat(self, inputs: torch.Tensor):
        """Features of plain (unmixed) images, as ``VisionTransformer``."""
        return self.backbone(inputs, mask=None)

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """Compute the losses of one batch.

        Args:
            inputs (torch.Tensor): Images ``(B, C, H, W)``.
            data_samples (List[DataSample]): Unused by plain MixedAE.

        Returns:
            dict[str, torch.Tensor]: ``loss_rec``, ``loss_hc`` and
            ``homo_acc`` (logged, not part of the total loss).
        """
        latent, mix_mask, homo_acc = self.backbone(inputs)
        num_sources = self.backbone.num_sources
        pred = self.neck(latent, mix_mask, num_sources)
        hidden = ~source_visibility(mix_mask, num_sources)
        features, homologous_ids = self.contrastive_rows(
            latent[:, 1:], mix_mask)
        losses = self.head.loss(pred, inputs, hidden, features,
                                homologous_ids)
        if homo_acc is not None:
            losses['homo_acc'] = homo_acc
        return losses

    def contrastive_rows(self, patches: torch.Tensor, mix_mask: torch.Tensor
                         ) -> Tuple[torch.Tensor, torch.Tensor]:
        """The rows of the homologous contrastive loss and their ids.

        MixedAE: one row per mixed image, homologous ids = its mixing mask.
        :class:`MixedAEFull` joins the views of the same images instead.

        Args:
            patches (torch.Tensor): Encoder patch features ``(B / G, N, D)``.
            mix_mask (torch.Tensor): Mixing mask ``(B / G, N)``.

        Returns:
            tuple[torch.Tensor, torch.Tensor]: Features ``(R, L, D)`` and
            homologous ids ``(R, L)`` (equal ids are positives).
        """
        return patches, mix_mask
