from .mixedae_head import MixedAEPretrainHead

__all__ = ['MixedAEPretrainHead']
