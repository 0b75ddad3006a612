"""mixedae-mm: MixedAE (CVPR 2023) as an OpenMMLab plugin.

Importing the package registers its classes into MMPretrain's registries
(and MMSeg's / MMDet's for the transfer components), e.g. through
``custom_imports = dict(imports=['mixedae_mm'])`` in a config, and makes
mmengine load local checkpoints admitting only an allow-list, on any torch
>= 2.0, and never execute a checkpoint's ``meta['config']``
(:mod:`mixedae_mm.utils.checkpoint_compat`).
"""
from .utils import register_checkpoint_loader
from .version import __version__

register_checkpoint_loader()

from . import datasets, engine, evaluation  # noqa: E402,F401
from . import models, transfer  # noqa: E402,F401

__all__ = ['__version__']
