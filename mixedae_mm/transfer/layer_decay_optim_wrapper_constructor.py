"""Layer-wise lr decay for any model whose backbone knows its layers."""
from functools import partial
from typing import Callable, List, Optional

from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS
from mmpretrain.engine import LearningRateDecayOptimWrapperConstructor
from torch import nn

__all__ = ['BackboneLayerDecayOptimWrapperConstructor']


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class BackboneLayerDecayOptimWrapperConstructor(
        LearningRateDecayOptimWrapperConstructor):
    """MMPretrain's layer-wise lr decay, for segmentors and detectors.

    mmpretrain's :class:`LearningRateDecayOptimWrapperConstructor` asks the
    *model* for ``get_layer_depth``, which only MMPretrain's classifiers
    have; mmseg's and mmdet's constructors know only their own backbones
    (mmseg's checks the class name for ``'MAE'``/``'BEiT'``).  This one
    asks ``model.backbone.get_layer_depth`` (mmpretrain's
    ``VisionTransformer`` has it), so with ``num_layers = L``:

    - ``pos_embed``, ``cls_token``, ``patch_embed``: lr x ``rate ** (L + 1)``
    - ``backbone.layers.i``: lr x ``rate ** (L - i)``
    - the backbone's final norm, the neck and the heads: lr x 1

    the rule of BEiT / MAE / ViTDet (``layer_decay_rate`` 0.65 for ADE20K,
    0.7 for COCO).  The other ``paramwise_cfg`` fields (``custom_keys``,
    ``norm_decay_mult``, ``bias_decay_mult``, ``flat_decay_mult``) are
    mmpretrain's.  Registered in mmengine's root registry, so it is found
    from MMPretrain, MMSegmentation and MMDetection configs alike.
    """

    def add_params(self,
                   params: List[dict],
                   module: nn.Module,
                   prefix: str = '',
                   get_layer_depth: Optional[Callable] = None,
                   **kwargs) -> None:
        """Add the parameters of ``module`` with their decayed lr.

        Args:
            params (list[dict]): Parameter groups, filled in place.
            module (nn.Module): The model (at the top call).
            prefix (str): Name prefix of ``module``'s parameters.
            get_layer_depth (Callable, optional): Maps a parameter name to
                ``(layer_depth, num_layers)``; taken from the model's
                backbone at the top call.
        """
        if get_layer_depth is None and not hasattr(module,
                                                   'get_layer_depth'):
            backbone = getattr(module, 'backbone', None)
            if not hasattr(backbone, 'get_layer_depth'):
                raise TypeError(
                    f'{type(self).__name__} needs model.backbone.'
                    'get_layer_depth(param_name, prefix) (as mmpretrain\'s '
                    f'VisionTransformer has), but {type(module).__name__}.'
                    f'backbone is {type(backbone).__name__}; use a ViT '
                    'backbone or another optimizer constructor.')
            get_layer_depth = partial(
                backbone.get_layer_depth, prefix='backbone.')
        super().add_params(params, module, prefix, get_layer_depth,
                           **kwargs)
