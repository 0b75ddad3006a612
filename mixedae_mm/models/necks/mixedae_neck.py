"""The MixedAE decoder: unmix, then MAE's decoder."""
import torch
from mmpretrain.models import MAEPretrainDecoder
from mmpretrain.registry import MODELS

from ..utils import unmix_tokens

__all__ = ['MixedAEPretrainDecoder']


@MODELS.register_module()
class MixedAEPretrainDecoder(MAEPretrainDecoder):
    """Decoder for MixedAE pre-training.

    It unmixes the encoded mixed images: the decoder input of source image
    ``i`` of a group holds the encoder features at the positions it shows
    (mixing mask ``== i``) and the mask token everywhere else, plus the
    group's cls token -- MAE's decoder input exactly, with "visible" meaning
    "shown by image ``i`` in the mixed image".  The rest is mmpretrain's
    :class:`MAEPretrainDecoder` (same arguments and weights).
    """

    def forward(self, x: torch.Tensor, mask: torch.Tensor,
                num_sources: int) -> torch.Tensor:
        """Reconstruct every source image of every mixed image.

        Args:
            x (torch.Tensor): Encoder output ``(B / G, N + 1, D)``.
            mask (torch.Tensor): Mixing mask ``(B / G, N)``.
            num_sources (int): ``G``.

        Returns:
            torch.Tensor: Predictions ``(B, N, p * p * C)``, image ``b`` is
            source ``b % G`` of group ``b // G``.
        """
        x = self.decoder_embed(x)
        patches = unmix_tokens(x[:, 1:], mask, self.mask_token, num_sources)
        cls_tokens = x[:, :1].repeat_interleave(num_sources, dim=0)
        x = torch.cat([cls_tokens, patches], dim=1) + self.decoder_pos_embed

        for blk in self.decoder_blocks:
            x = blk(x)
        x = self.decoder_norm(x)
        x = self.decoder_pred(x)
        return x[:, 1:, :]
