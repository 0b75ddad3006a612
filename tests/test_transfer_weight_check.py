"""Reading backbone weights and checking that they were really loaded."""
import logging
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmpretrain.models import VisionTransformer

from mixedae_mm.models import MixedAEViT
from mixedae_mm.transfer import (CheckPretrainedWeightsHook,
                                 PretrainedWeightsError, backbone_state_dict,
                                 check_pretrained_weights,
                                 load_backbone_state_dict)

TINY = dict(embed_dims=64, num_layers=2, num_heads=4, feedforward_channels=128)


def _pretraining_checkpoint(path, arch=TINY, patch_size=8):
    """A MixedAE pre-training checkpoint as mmengine's Runner writes it."""
    torch.manual_seed(0)
    # the ablation with a segment embedding (a key the check must allow)
    encoder = MixedAEViT(arch=arch, img_size=32, patch_size=patch_size,
                         segment_embed=True)
    encoder.init_weights()
    state = {f'backbone.{k}': v for k, v in encoder.state_dict().items()}
    state['neck.decoder_embed.weight'] = torch.zeros(2, 2)
    torch.save(dict(meta=dict(iter=2), state_dict=state), path)
    return str(path), encoder


def _downstream_vit(checkpoint, prefix='backbone.', **kwargs):
    cfg = dict(arch=TINY, img_size=32, patch_size=8, out_type='featmap',
               final_norm=False)
    cfg.update(kwargs)
    vit = VisionTransformer(
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint,
                      prefix=prefix), **cfg)
    return vit


def test_backbone_state_dict_selects_and_strips_the_prefix():
    a, b = torch.ones(1), torch.zeros(1)
    ckpt = {'state_dict': {'backbone.x.w': a, 'neck.y': b}}
    assert dict(backbone_state_dict(ckpt)) == {'x.w': a}
    # a bare (published) state dict, possibly saved from DDP
    assert dict(backbone_state_dict({'module.x.w': a}, prefix=None)) == {
        'x.w': a}
    with pytest.raises(KeyError, match=r"starts with 'backbone\.'.*"
                       r"\['head\.', 'neck\.'\].*prefix=None"):
        backbone_state_dict({'neck.y': b, 'head.z': a})


def test_pretrained_vit_passes_the_check_and_really_changed(tmp_path):
    ckpt, encoder = _pretraining_checkpoint(tmp_path / 'pre.pth')
    vit = _downstream_vit(ckpt)
    key = 'layers.1.attn.qkv.weight'
    before = vit.state_dict()[key].clone()
    assert not torch.equal(before, encoder.state_dict()[key])
    vit.init_weights()
    torch.testing.assert_close(vit.state_dict()[key],
                               encoder.state_dict()[key], rtol=0, atol=0)

    report = check_pretrained_weights(
        vit, load_backbone_state_dict(ckpt),
        allowed_unexpected=['segment_embed', 'ln1.*'])
    assert report.missing == [] and report.resized == []
    assert sorted(report.unexpected) == [
        'ln1.bias', 'ln1.weight', 'segment_embed']
    assert len(report.loaded) == len(vit.state_dict())


def test_resized_position_embedding_is_accepted(tmp_path):
    ckpt, _ = _pretraining_checkpoint(tmp_path / 'pre.pth')
    vit = _downstream_vit(ckpt, img_size=64)  # 8x8 patches, not 4x4
    vit.init_weights()
    report = check_pretrained_weights(
        vit, load_backbone_state_dict(ckpt),
        allowed_unexpected=['segment_embed', 'ln1.*'])
    assert report.resized == ['pos_embed']
    assert 'pos_embed' not in report.loaded


def test_checkpoint_of_another_architecture_is_named(tmp_path):
    wide = dict(TINY, embed_dims=96)
    ckpt, _ = _pretraining_checkpoint(tmp_path / 'wide.pth', arch=wide)
    vit = _downstream_vit(ckpt)
    vit.init_weights()  # mmengine only warns: nothing of that shape loads
    with pytest.raises(PretrainedWeightsError) as error:
        check_pretrained_weights(
            vit, load_backbone_state_dict(ckpt),
            allowed_unexpected=['segment_embed', 'ln1.*'],
            source='wide.pth')
    message = str(error.value)
    assert 'VisionTransformer does not hold the weights of wide.pth' in message
    assert 'patch_embed.projection.weight (96, 3, 8, 8) -> (64, 3, 8, 8)' \
        in message
    # a position embedding of other width is not a resized one
    assert 'pos_embed (1, 17, 96) -> (1, 17, 64)' in message
    assert 'missing in the checkpoint' not in message


def test_missing_unexpected_and_unloaded_keys_are_listed():
    vit = VisionTransformer(arch=TINY, img_size=32, patch_size=8)
    own = vit.state_dict()
    other = {k: v.clone() for k, v in own.items() if not k.startswith('ln1')}
    other['conv1.weight'] = torch.zeros(1)
    other['cls_token'] = torch.ones_like(own['cls_token'])  # not loaded
    with pytest.raises(PretrainedWeightsError) as error:
        check_pretrained_weights(vit, other)
    message = str(error.value)
    assert 'missing in the checkpoint (2): ln1.weight, ln1.bias' in message
    assert 'in the checkpoint but not in the model (1): conv1.weight' \
        in message
    assert 'not loaded (values differ) (1): cls_token' in message
    # the same, allowed on purpose
    report = check_pretrained_weights(
        vit, {k: v for k, v in other.items() if k != 'cls_token'},
        allowed_missing=['ln1.*', 'cls_token'],
        allowed_unexpected=['conv*'])
    assert report.missing == ['cls_token', 'ln1.weight', 'ln1.bias']


def test_long_listings_are_cut():
    vit = VisionTransformer(arch=TINY, img_size=32, patch_size=8)
    with pytest.raises(PretrainedWeightsError,
                       match=r'missing in the checkpoint \(\d+\): .* and '
                       r'\d+ more'):
        check_pretrained_weights(vit, {})


def _fake_runner(model, iteration=0, load_from=None):
    return SimpleNamespace(
        model=model, iter=iteration, cfg=Config(dict(load_from=load_from)),
        logger=logging.getLogger('test_transfer_weight_check'))


def test_hook_passes_and_logs(tmp_path, caplog):
    ckpt, _ = _pretraining_checkpoint(tmp_path / 'pre.pth')
    model = torch.nn.Module()
    model.backbone = _downstream_vit(ckpt)
    model.backbone.init_weights()
    hook = CheckPretrainedWeightsHook(allowed_unexpected=['ln1.*'])
    with caplog.at_level(logging.INFO):
        hook.before_train(_fake_runner(model))
    assert 'model.backbone holds the pre-trained weights of' in caplog.text
    assert "unused: ['segment_embed', 'ln1.weight', 'ln1.bias']" \
        in caplog.text


def test_hook_fails_a_backbone_that_was_not_loaded(tmp_path):
    ckpt, _ = _pretraining_checkpoint(tmp_path / 'pre.pth')
    model = torch.nn.Module()
    model.backbone = _downstream_vit(ckpt)  # init_weights never called
    hook = CheckPretrainedWeightsHook(allowed_unexpected=['ln1.*'])
    with pytest.raises(PretrainedWeightsError,
                       match=r'not loaded \(values differ\)'):
        hook.before_train(_fake_runner(model))
    # without the allowance for the final norm the names are given
    with pytest.raises(PretrainedWeightsError,
                       match=r'in the checkpoint but not in the model \(2\): '
                       r'ln1.weight, ln1.bias'):
        CheckPretrainedWeightsHook().before_train(_fake_runner(model))


def test_hook_skips_resumed_runs_and_needs_a_pretrained_init_cfg(tmp_path):
    model = torch.nn.Module()
    model.backbone = VisionTransformer(arch=TINY, img_size=32, patch_size=8)
    hook = CheckPretrainedWeightsHook()
    hook.before_train(_fake_runner(model, iteration=10))
    hook.before_train(_fake_runner(model, load_from='ft.pth'))
    with pytest.raises(ValueError,
                       match=r"model.backbone has no init_cfg=dict\(type="
                       r"'Pretrained'.*train from scratch"):
        hook.before_train(_fake_runner(model))


def test_hook_reads_a_published_backbone_without_prefix(tmp_path, caplog):
    from mixedae_mm.tools.publish_backbone import publish_backbone
    ckpt, _ = _pretraining_checkpoint(tmp_path / 'pre.pth')
    published = publish_backbone(ckpt, str(tmp_path / 'tiny.pth'))
    model = torch.nn.Module()
    model.backbone = _downstream_vit(published, prefix=None)
    model.backbone.init_weights()
    with caplog.at_level(logging.INFO):
        CheckPretrainedWeightsHook(allowed_unexpected=['ln1.*']).before_train(
            _fake_runner(model))
    assert "unused: ['ln1.weight', 'ln1.bias']" in caplog.text


def test_backbone_that_ignores_the_prefix_is_caught(tmp_path):
    """mmseg's MAE backbone loads the whole file, ignoring ``prefix``, so
    nothing is loaded and training silently starts from scratch
    (open-mmlab/mmsegmentation#3665); the check names every key."""
    from mmseg.models.backbones import MAE
    ckpt, _ = _pretraining_checkpoint(tmp_path / 'pre.pth')
    model = torch.nn.Module()
    model.backbone = MAE(
        img_size=32, patch_size=8, embed_dims=64, num_layers=2, num_heads=4,
        init_cfg=dict(type='Pretrained', checkpoint=ckpt,
                      prefix='backbone.'))
    model.backbone.init_weights()  # no error, nothing loaded
    with pytest.raises(PretrainedWeightsError,
                       match=r'MAE does not hold the weights of .*pre\.pth:'
                       r'\n  missing in the checkpoint'):
        CheckPretrainedWeightsHook().before_train(_fake_runner(model))
