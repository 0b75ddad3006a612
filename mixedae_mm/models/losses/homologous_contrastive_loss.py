"""Homologous contrastive loss: patches of one source attract each other."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import nn

__all__ = ['HomologousContrastiveLoss']


@MODELS.register_module()
class HomologousContrastiveLoss(nn.Module):
    """Supervised-contrastive InfoNCE over the patches of mixed images.

    For an anchor patch of a mixed image, the positives are the other
    patches with the same homologous id (the same source image), the
    negatives the patches of the same mixed image with another id.  With
    L2-normalised features ``z`` and temperature ``tau``::

        l(a) = -1/|P(a)| * sum_{p in P(a)} log( exp(z_a.z_p / tau)
                                  / sum_{k != a} exp(z_a.z_k / tau) )

    averaged over the anchors that have a positive, and times
    ``loss_weight``.  The whole loss (similarities included) runs in float32
    with autocast disabled and a log-sum-exp, so it is the float32 loss
    under fp16/bf16 autocast and finite for any logit size.

    Args:
        temperature (float): ``tau``. Defaults to 0.25.
        loss_weight (float): ``lambda``, the weight of the regulariser.
            Defaults to 0.5.
        projector (Sequence[int], optional): Channels ``(C, hidden, out)``
            of a two-layer MLP (Linear, GELU, Linear) the features go
            through before the loss, trained with it and used only by it;
            None (default) takes the loss on the features themselves.
    """

    def __init__(self,
                 temperature: float = 0.25,
                 loss_weight: float = 0.5,
                 projector: Optional[Sequence[int]] = None) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}.')
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.projector = None
        if projector is not None:
            if len(projector) != 3:
                raise ValueError(
                    'projector must be (in_channels, hidden_channels, '
                    f'out_channels), got {projector}.')
            c_in, hidden, out = projector
            # built with the generators forked: the encoder's initial
            # weights stay those of MAE for the same seed
            with torch.random.fork_rng(devices=[]):
                self.projector = nn.Sequential(
                    nn.Linear(c_in, hidden), nn.GELU(),
                    nn.Linear(hidden, out))

    def forward(self, features: torch.Tensor,
                homologous_ids: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            features (torch.Tensor): Patch features ``(B', N, C)`` of ``B'``
                mixed images.
            homologous_ids (torch.Tensor): ``(B', N)``; equal ids mark
                homologous patches within one mixed image.

        Returns:
            torch.Tensor: Scalar loss.
        """
        # float32 whatever the autocast state: under autocast the matmul
        # would run (and round its logits) in fp16/bf16 despite .float()
        if self.projector is not None:
            features = self.projector(features)
        with torch.autocast(features.device.type, enabled=False):
            loss = self._loss(features.float(), homologous_ids)
        return self.loss_weight * loss

    def _loss(self, features: torch.Tensor,
              homologous_ids: torch.Tensor) -> torch.Tensor:
        """The unweighted loss of float32 ``features`` ``(B', N, C)``."""
        z = F.normalize(features, dim=-1)
        # the one batched matmul: (B', N, C) x (B', C, N)
        logits = z @ z.transpose(1, 2) / self.temperature
        num_patches = logits.shape[-1]
        self_mask = torch.eye(
            num_patches, dtype=torch.bool, device=logits.device)
        logits = logits.masked_fill(self_mask, float('-inf'))
        positives = homologous_ids[:, :, None] == homologous_ids[:, None, :]
        positives &= ~self_mask
        num_pos = positives.sum(-1)
        # -mean_p log softmax_p = logsumexp - mean_p logit_p: no
        # log-probability matrix is built
        log_norm = logits.logsumexp(dim=-1)
        pos_logits = logits.where(positives, 0.).sum(-1)
        has_pos = num_pos > 0
        return (log_norm - pos_logits / num_pos.clamp(min=1))[has_pos].mean()
