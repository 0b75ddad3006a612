from .mixedae import MixedAE
from .mixedae_full import MixedAEFull
from .mixmask import (MixMaskBarlowTwins, MixMaskBYOL, MixMaskMixin,
                      MixMaskMoCo, MixMaskSimSiam, check_pairable, mix_images)

__all__ = [
    'MixedAE', 'MixedAEFull', 'MixMaskMixin', 'MixMaskMoCo', 'MixMaskBYOL',
    'MixMaskSimSiam', 'MixMaskBarlowTwins', 'check_pairable', 'mix_images'
]
