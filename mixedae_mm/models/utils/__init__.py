from .collapse_stats import embedding_stats
from .homologous_attention import (HomologousAttention, homologous_accuracy,
                                   topk_keep_mask)
from .homologous_layer import HomologousTransformerEncoderLayer
from .mixing_mask import (check_mixable, mix_tokens, num_sources_from_ratio,
                          random_mixing_mask, source_visibility,
                          unmix_tokens)
from .mixmask_generator import MixMaskGenerator
from .split_batch_norm import SplitBatchNorm2d
from .view_layout import source_image_ids, stack_views, stacked_view_ids

__all__ = [
    'HomologousAttention', 'homologous_accuracy', 'topk_keep_mask',
    'HomologousTransformerEncoderLayer', 'check_mixable', 'mix_tokens',
    'num_sources_from_ratio', 'random_mixing_mask', 'source_visibility',
    'unmix_tokens', 'source_image_ids', 'stack_views', 'stacked_view_ids',
    'MixMaskGenerator', 'embedding_stats', 'SplitBatchNorm2d'
]
