from .mixmask import draw_mixmask, mixmask_batch
from .reconstruction import (SOURCE_COLORS, draw_reconstruction,
                             reconstruct_group)
from .views import draw_views, multi_view_group

__all__ = [
    'SOURCE_COLORS', 'draw_reconstruction', 'reconstruct_group',
    'draw_views', 'multi_view_group', 'draw_mixmask', 'mixmask_batch'
]
