from .mixedae import MixedAE
from .mixedae_full import MixedAEFull

__all__ = ['MixedAE', 'MixedAEFull']
