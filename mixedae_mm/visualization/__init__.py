from .reconstruction import (SOURCE_COLORS, draw_reconstruction,
                             reconstruct_group)

__all__ = ['SOURCE_COLORS', 'draw_reconstruction', 'reconstruct_group']
