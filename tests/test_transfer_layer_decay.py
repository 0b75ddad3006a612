"""Layer-wise lr decay for models whose backbone is a ViT."""
import importlib

import pytest
from mmengine.optim import build_optim_wrapper
from mmpretrain.models import VisionTransformer
from torch import nn

from mixedae_mm.transfer import BackboneLayerDecayOptimWrapperConstructor

TINY = dict(embed_dims=16, num_layers=3, num_heads=2, feedforward_channels=32)
LR, RATE = 1e-3, 0.5


class _Segmentor(nn.Module):
    """A model like mmseg's EncoderDecoder: no get_layer_depth of its own."""

    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.decode_head = nn.Conv2d(16, 4, 1)


def _param_groups(model):
    optim_wrapper = build_optim_wrapper(
        model,
        dict(
            optimizer=dict(type='AdamW', lr=LR, weight_decay=0.05),
            constructor='BackboneLayerDecayOptimWrapperConstructor',
            paramwise_cfg=dict(
                layer_decay_rate=RATE,
                flat_decay_mult=0.0,
                custom_keys={'.pos_embed': dict(decay_mult=0.0)})))
    return {
        g['param_name']: g for g in optim_wrapper.optimizer.param_groups
    }


def test_lr_decays_with_the_depth_of_the_backbone_layer():
    model = _Segmentor(VisionTransformer(arch=TINY, img_size=16,
                                         patch_size=8))
    groups = _param_groups(model)
    assert len(groups) == len(list(model.parameters()))
    # L = 3 layers: embeddings rate^4, layer i rate^(3 - i), the rest 1
    expected = {
        'backbone.cls_token': RATE**4,
        'backbone.pos_embed': RATE**4,
        'backbone.patch_embed.projection.weight': RATE**4,
        'backbone.layers.0.attn.qkv.weight': RATE**3,
        'backbone.layers.1.ffn.layers.1.bias': RATE**2,
        'backbone.layers.2.ln1.weight': RATE**1,
        'backbone.ln1.weight': 1.0,
        'decode_head.weight': 1.0,
    }
    for name, scale in expected.items():
        assert groups[name]['lr'] == pytest.approx(LR * scale), name
    # no weight decay on 1-d parameters and pos_embed, 0.05 elsewhere
    assert groups['backbone.layers.0.ln1.weight']['weight_decay'] == 0
    assert groups['decode_head.bias']['weight_decay'] == 0
    assert groups['backbone.pos_embed']['weight_decay'] == 0
    assert groups['decode_head.weight']['weight_decay'] == 0.05


def test_same_scales_as_mmpretrain_for_a_classifier():
    from mmpretrain.models import ImageClassifier
    classifier = ImageClassifier(
        backbone=dict(type='VisionTransformer', arch=TINY, img_size=16,
                      patch_size=8),
        head=dict(type='LinearClsHead', num_classes=2, in_channels=16))
    ours = _param_groups(classifier)
    theirs = build_optim_wrapper(
        classifier,
        dict(
            optimizer=dict(type='AdamW', lr=LR, weight_decay=0.05),
            constructor='mmpretrain.LearningRateDecayOptimWrapperConstructor',
            paramwise_cfg=dict(layer_decay_rate=RATE)))
    for group in theirs.optimizer.param_groups:
        assert ours[group['param_name']]['lr'] == pytest.approx(group['lr'])


def test_backbone_without_layer_depth_is_refused():
    model = _Segmentor(nn.Conv2d(3, 16, 3))
    with pytest.raises(TypeError,
                       match=r'needs model.backbone.get_layer_depth.*'
                       r'_Segmentor.backbone is Conv2d'):
        _param_groups(model)


@pytest.mark.parametrize('scope', ['mmseg', 'mmdet', 'mmpretrain'])
def test_found_from_every_library(scope):
    registry = importlib.import_module(f'{scope}.registry')
    assert registry.OPTIM_WRAPPER_CONSTRUCTORS.get(
        'BackboneLayerDecayOptimWrapperConstructor') is \
        BackboneLayerDecayOptimWrapperConstructor
    assert registry.HOOKS.get('CheckPretrainedWeightsHook') is not None
    assert registry.HOOKS.get('CheckBatchLayoutHook') is not None
