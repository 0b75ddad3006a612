import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

from conftest import tiny_runner_cfg


def _build(model_cfg):
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model


def test_builds_from_the_config_and_returns_the_loss_dict(tiny_model_cfg):
    model = _build(tiny_model_cfg)
    assert type(model).__name__ == 'MixedAE'
    losses = model(torch.randn(8, 3, 64, 64), mode='loss')
    assert set(losses) == {'loss_rec', 'loss_hc', 'homo_acc'}
    assert all(torch.isfinite(v) for v in losses.values())
    assert 0 <= losses['homo_acc'].item() <= 1
    # homo_acc is logged, not optimised
    assert not losses['homo_acc'].requires_grad
    assert losses['loss_rec'].requires_grad and losses['loss_hc'].requires_grad


def test_parse_losses_sums_only_the_losses(tiny_model_cfg):
    model = _build(tiny_model_cfg)
    losses = model(torch.randn(4, 3, 64, 64), mode='loss')
    total, log_vars = model.parse_losses(losses)
    assert total.item() == pytest.approx(
        (losses['loss_rec'] + losses['loss_hc']).item())
    assert set(log_vars) == {'loss', 'loss_rec', 'loss_hc', 'homo_acc'}


def test_naive_mixing_has_only_the_reconstruction_loss(tiny_model_cfg):
    tiny_model_cfg.backbone.update(homo_attn_layers=(), segment_embed=False)
    tiny_model_cfg.head.loss_hc = None
    model = _build(tiny_model_cfg)
    losses = model(torch.randn(4, 3, 64, 64), mode='loss')
    assert set(losses) == {'loss_rec'}


def test_extract_feat_is_the_plain_vit(tiny_model_cfg):
    model = _build(tiny_model_cfg).eval()
    feats = model(torch.randn(2, 3, 64, 64), mode='tensor')
    assert feats[0].shape == (2, 65, 192)  # out_type='raw': cls + 8 x 8


@pytest.mark.slow
def test_twenty_runner_iterations_on_one_batch_reduce_the_loss(tmp_path):
    """16 images = exactly one batch, no augmentation: the same images every
    step (only the mixing mask changes), so the loss must fall."""
    from mmengine.runner import Runner

    from conftest import write_image_folder
    write_image_folder(str(tmp_path / 'data' / 'train'), 2, 8)
    cfg = tiny_runner_cfg(str(tmp_path / 'work'), str(tmp_path / 'data'),
                          max_iters=20)
    cfg.train_dataloader.dataset = dict(
        type='CustomDataset', data_root=str(tmp_path / 'data'),
        data_prefix='train', pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(64, 64)),
            dict(type='PackInputs')
        ])
    cfg.train_dataloader.sampler = dict(type='DefaultSampler', shuffle=False)
    runner = Runner.from_cfg(cfg)
    runner.train()
    history = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(history) == 20
    assert history[-3:].mean() < 0.8 * history[0], history
    assert history[-3:].mean() < history[:3].mean(), history
    rec = runner.message_hub.get_scalar('train/loss_rec').data[0]
    assert rec[-3:].mean() < 0.7 * rec[0], rec
    acc = runner.message_hub.get_scalar('train/homo_acc').data[0]
    assert len(acc) == 20 and ((acc >= 0) & (acc <= 1)).all()
