"""The MixedAE head: pixel reconstruction and homologous contrastive loss."""
from typing import Dict, Optional

import torch
from mmpretrain.models import MAEPretrainHead
from mmpretrain.registry import MODELS

__all__ = ['MixedAEPretrainHead']


@MODELS.register_module()
class MixedAEPretrainHead(MAEPretrainHead):
    """Head for MixedAE pre-training.

    ``loss_rec``: MAE's (optionally per-patch normalised) pixel loss on the
    positions each image did *not* show in its mixed image.  ``loss_hc``:
    the homologous contrastive loss on the encoder's patch features, a
    regulariser.

    Args:
        loss (dict): Reconstruction loss, e.g.
            ``dict(type='PixelReconstructionLoss', criterion='L2')``.
        loss_hc (dict, optional): Homologous contrastive loss, e.g.
            ``dict(type='HomologousContrastiveLoss', temperature=0.25,
            loss_weight=0.5)``; None disables it (ablation).
        norm_pix (bool): Normalise each target patch. Defaults to True.
        patch_size (int): Patch size. Defaults to 16.
        in_channels (int): Image channels. Defaults to 3.
    """

    def __init__(self,
                 loss: dict,
                 loss_hc: Optional[dict] = None,
                 norm_pix: bool = True,
                 patch_size: int = 16,
                 in_channels: int = 3) -> None:
        super().__init__(
            loss=loss,
            norm_pix=norm_pix,
            patch_size=patch_size,
            in_channels=in_channels)
        self.loss_hc = MODELS.build(loss_hc) if loss_hc else None

    def loss(self, pred: torch.Tensor, target: torch.Tensor,
             hidden: torch.Tensor, features: torch.Tensor,
             homologous_ids: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Compute the losses.

        Args:
            pred (torch.Tensor): Reconstructions ``(B, N, p * p * C)``.
            target (torch.Tensor): Source images ``(B, C, H, W)``.
            hidden (torch.Tensor): ``(B, N)``, 1 where image ``b`` was
                hidden (the loss positions).
            features (torch.Tensor): Encoder patch features
                ``(B / G, N, D)``.
            homologous_ids (torch.Tensor): ``(B / G, N)``, equal for
                homologous patches (the mixing mask, or image ids).

        Returns:
            dict[str, torch.Tensor]: ``loss_rec`` and, if enabled,
            ``loss_hc``.
        """
        target = self.construct_target(target)
        losses = dict(
            loss_rec=self.loss_module(pred.float(), target.float(),
                                      hidden.to(torch.float32)))
        if self.loss_hc is not None:
            losses['loss_hc'] = self.loss_hc(features, homologous_ids)
        return losses
