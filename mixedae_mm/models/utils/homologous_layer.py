"""A ViT encoder layer whose self-attention is homologous attention."""
from typing import Optional, Tuple

import torch
from mmpretrain.models.backbones.vision_transformer import \
    TransformerEncoderLayer
from mmpretrain.models.utils import MultiheadAttention

from .homologous_attention import HomologousAttention

__all__ = ['HomologousTransformerEncoderLayer']


class HomologousTransformerEncoderLayer(TransformerEncoderLayer):
    """:class:`TransformerEncoderLayer` with :class:`HomologousAttention`.

    Parameter names are those of the plain layer, so its weights load into
    mmpretrain's ``VisionTransformer`` unchanged.  Called as a module it *is*
    that plain layer (ordinary attention, what fine-tuning computes);
    :meth:`forward_homologous` applies homologous attention to mixed
    images.

    Args:
        embed_dims (int): Feature dimension.
        num_heads (int): Attention heads.
        feedforward_channels (int): Hidden dimension of the FFN.
        topk (int): Patch keys kept per query by homologous attention.
        layer_scale_init_value (float): Layer scale init. Defaults to 0.
        drop_rate (float): Dropout after attention / FFN. Defaults to 0.
        attn_drop_rate (float): Dropout on attention weights. Defaults to 0.
        drop_path_rate (float): Stochastic depth rate. Defaults to 0.
        qkv_bias (bool): Bias of the qkv projection. Defaults to True.
        **kwargs: Other arguments of :class:`TransformerEncoderLayer`.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 feedforward_channels: int,
                 topk: int,
                 layer_scale_init_value: float = 0.,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 qkv_bias: bool = True,
                 **kwargs) -> None:
        super().__init__(
            embed_dims,
            num_heads,
            feedforward_channels,
            layer_scale_init_value=layer_scale_init_value,
            drop_rate=drop_rate,
            attn_drop_rate=attn_drop_rate,
            drop_path_rate=drop_path_rate,
            qkv_bias=qkv_bias,
            **kwargs)
        self.attn = HomologousAttention(
            topk=topk,
            embed_dims=embed_dims,
            num_heads=num_heads,
            attn_drop=attn_drop_rate,
            proj_drop=drop_rate,
            dropout_layer=dict(type='DropPath', drop_prob=drop_path_rate),
            qkv_bias=qkv_bias,
            layer_scale_init_value=layer_scale_init_value)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The plain layer with ordinary attention, as in the downstream
        ``VisionTransformer`` (used for features of unmixed images).

        Args:
            x (torch.Tensor): Tokens ``(B, L, C)``.

        Returns:
            torch.Tensor: ``(B, L, C)``.
        """
        x = x + MultiheadAttention.forward(self.attn, self.ln1(x))
        return self.ffn(self.ln2(x), identity=x)

    def forward_homologous(
        self,
        x: torch.Tensor,
        source_ids: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """The layer with homologous (TopK) attention, for mixed images.

        Args:
            x (torch.Tensor): Tokens ``(B, L, C)``.
            source_ids (torch.Tensor, optional): ``(B, N)`` source of every
                patch; when given, ``homo_acc`` is measured.

        Returns:
            tuple: Tokens ``(B, L, C)`` and ``homo_acc`` (or None).
        """
        out, acc = self.attn(self.ln1(x), source_ids)
        x = x + out
        x = self.ffn(self.ln2(x), identity=x)
        return x, acc
