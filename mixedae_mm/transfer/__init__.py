"""Transfer of a MixedAE encoder to MMPretrain, MMSeg and MMDet models.

Importing it registers, into the registries the downstream configs use:

- :class:`CheckPretrainedWeightsHook` (mmengine ``HOOKS``): fail a run whose
  backbone did not load every pre-trained weight;
- :class:`CheckBatchLayoutHook` (mmengine ``HOOKS``): fail a run whose
  processes x batch (x accumulation) do not fit its iteration schedule;
- :class:`BackboneLayerDecayOptimWrapperConstructor` (mmengine
  ``OPTIM_WRAPPER_CONSTRUCTORS``): layer-wise lr decay for segmentors and
  detectors with a ViT backbone;
- :class:`SimpleFeaturePyramid` and ``LN2d`` (mmdet ``MODELS``): ViTDet's
  neck and norm, which the mmdet wheel does not ship.
"""
from .backbone_weights import backbone_state_dict, load_backbone_state_dict
from .batch_layout_check_hook import CheckBatchLayoutHook
from .layer_decay_optim_wrapper_constructor import \
    BackboneLayerDecayOptimWrapperConstructor
from .pretrained_check import (PretrainedWeightsError,
                               PretrainedWeightsReport,
                               check_pretrained_weights)
from .pretrained_check_hook import CheckPretrainedWeightsHook
from .simple_feature_pyramid import SimpleFeaturePyramid

__all__ = [
    'backbone_state_dict', 'load_backbone_state_dict', 'CheckBatchLayoutHook',
    'BackboneLayerDecayOptimWrapperConstructor', 'PretrainedWeightsError',
    'PretrainedWeightsReport', 'check_pretrained_weights',
    'CheckPretrainedWeightsHook', 'SimpleFeaturePyramid'
]
