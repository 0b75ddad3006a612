"""The MixedAE algorithm."""
from typing import Dict, List

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
    ``homo_acc`` (the share of TopK-kept keys that are homologous).
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
        losses = self.head.loss(pred, inputs, hidden, latent[:, 1:], mix_mask)
        if homo_acc is not None:
            losses['homo_acc'] = homo_acc
        return losses
