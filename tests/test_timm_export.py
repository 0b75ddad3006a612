"""tools/publish_backbone.py --timm: the encoder as a timm VisionTransformer.

The exported weights must load strictly into timm's model and give the
same features as mmpretrain's VisionTransformer on the same images."""
import json
import os.path as osp
import re

import pytest
import safetensors.torch as safetensors_torch
# timm (requirements/tests.txt) and safetensors (runtime): missing, these
# imports fail, never skip
import timm
import torch
from mmpretrain.models import VisionTransformer

from mixedae_mm.models import MixedAEViT
from mixedae_mm.tools import publish_backbone
from mixedae_mm.transfer.timm_export import timm_model_args, to_timm_state_dict

TINY = dict(embed_dims=64, num_layers=2, num_heads=4, feedforward_channels=128)
# name, mmpretrain arch, image size, patch size, timm architecture, args
ENCODERS = [
    ('tiny', TINY, 32, 8, 'vit_base_patch16_224', ['--num-heads', '4']),
    ('vit-s', 'deit-s', 224, 16, 'vit_small_patch16_224', []),
]


def _checkpoint(tmp_path, arch, img_size, patch_size):
    """A pre-training checkpoint whose encoder has no two equal weights:
    every tensor (norms included) is perturbed, so swapped names show."""
    torch.manual_seed(0)
    # a checkpoint of the ablation with a segment embedding: the export
    # must drop it
    encoder = MixedAEViT(arch=arch, img_size=img_size, patch_size=patch_size,
                         segment_embed=True)
    encoder.init_weights()
    with torch.no_grad():
        for param in encoder.parameters():
            param.add_(torch.randn_like(param) * 0.05)
    state = {f'backbone.{k}': v for k, v in encoder.state_dict().items()}
    state['neck.mask_token'] = torch.zeros(1, 1, 8)
    path = tmp_path / 'epoch_1.pth'
    torch.save(dict(meta=dict(epoch=1, cfg='model = dict()'),
                    state_dict=state), path)
    return str(path)


@pytest.mark.parametrize('name,arch,img_size,patch_size,architecture,args',
                         ENCODERS, ids=[e[0] for e in ENCODERS])
def test_timm_features_match_mmpretrain(tmp_path, name, arch, img_size,
                                        patch_size, architecture, args):
    in_file = _checkpoint(tmp_path, arch, img_size, patch_size)
    pth, weights, config_file = publish_backbone.main(
        [in_file, str(tmp_path / f'mixedae_{name}.pth'), '--timm', *args])
    assert re.fullmatch(rf'mixedae_{name}-timm-[0-9a-f]{{8}}\.safetensors',
                        osp.basename(weights))
    assert config_file == weights[:-len('.safetensors')] + '.json'
    with open(config_file) as f:
        config = json.load(f)
    assert config['architecture'] == architecture
    assert config['pretrained_cfg']['file'] == osp.basename(weights)
    assert config['source']['epoch'] == 1
    assert config['source']['dropped_keys'] == ['segment_embed']

    vit = VisionTransformer(
        arch=arch, img_size=img_size, patch_size=patch_size, out_type='raw')
    vit.load_state_dict(
        torch.load(pth, weights_only=True)['state_dict'], strict=True)
    vit.eval()
    model = timm.create_model(config['architecture'], **config['model_args'])
    missing, unexpected = model.load_state_dict(
        safetensors_torch.load_file(weights), strict=True)
    assert not missing and not unexpected
    model.eval()

    images = torch.randn(2, 3, img_size, img_size)
    with torch.no_grad():
        ours = vit(images)[0]  # (B, 1 + N, C) after the final norm
        theirs = model.forward_features(images)
        pooled = model(images)  # num_classes=0: the cls token's features
    assert ours.shape == theirs.shape == (2, 1 + (img_size // patch_size)**2,
                                          vit.embed_dims)
    torch.testing.assert_close(theirs, ours, atol=1e-5, rtol=0)
    torch.testing.assert_close(pooled, ours[:, 0], atol=1e-5, rtol=0)


def test_readme_snippet_loads_through_pretrained_cfg_overlay(tmp_path):
    """timm's own loading path (pretrained=True with a local file) is
    strict: it raises on a wrong key rather than dropping it."""
    in_file = _checkpoint(tmp_path, TINY, 32, 8)
    _, weights, config_file = publish_backbone.main(
        [in_file, str(tmp_path / 'enc.pth'), '--timm', '--num-heads', '4'])
    with open(config_file) as f:
        config = json.load(f)
    overlay = dict(config['pretrained_cfg'], file=weights)
    model = timm.create_model(
        config['architecture'],
        pretrained=True,
        pretrained_cfg_overlay=overlay,
        **config['model_args'])
    expected = safetensors_torch.load_file(weights)
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, expected[key], rtol=0, atol=0)
    assert model.pretrained_cfg['mean'] == config['pretrained_cfg']['mean']

    # a weight renamed in the file: timm's strict load refuses it
    expected['blocks.0.norm1.scale'] = expected.pop('blocks.0.norm1.weight')
    bad = str(tmp_path / 'bad.safetensors')
    safetensors_torch.save_file(expected, bad)
    with pytest.raises(RuntimeError, match='blocks.0.norm1'):
        timm.create_model(
            config['architecture'],
            pretrained=True,
            pretrained_cfg_overlay=dict(overlay, file=bad),
            **config['model_args'])


def test_inferred_model_args():
    vit = VisionTransformer(arch='deit-s', img_size=96, patch_size=16)
    architecture, args = timm_model_args(vit.state_dict())
    assert architecture == 'vit_small_patch16_224'
    assert args == dict(
        img_size=96,
        patch_size=16,
        in_chans=3,
        embed_dim=384,
        depth=12,
        num_heads=6,
        mlp_ratio=4.0,
        qkv_bias=True,
        class_token=True,
        global_pool='token',
        num_classes=0)


def test_unknown_width_needs_the_head_count():
    state = VisionTransformer(arch=TINY, img_size=32,
                              patch_size=8).state_dict()
    with pytest.raises(ValueError, match='--num-heads'):
        timm_model_args(state)
    assert timm_model_args(state, num_heads=4)[1]['num_heads'] == 4
    with pytest.raises(ValueError, match='do not divide'):
        timm_model_args(state, num_heads=5)


def test_weights_timm_has_no_place_for_are_named():
    """Layer scale and the pooled norm are not silently dropped."""
    vit = VisionTransformer(
        arch=TINY,
        img_size=32,
        patch_size=8,
        layer_scale_init_value=0.1,
        out_type='avg_featmap')
    with pytest.raises(KeyError) as error:
        to_timm_state_dict(vit.state_dict())
    message = str(error.value)
    assert "'ln2.weight'" in message and 'gamma' in message
