"""Half precision: a deliberately aggressive fp16 run stays finite."""
import math

import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS


@pytest.mark.slow
def test_fp16_autocast_with_loss_scaling_stays_finite(tiny_model_cfg):
    """50 steps under fp16 autocast with dynamic loss scaling (what
    AmpOptimWrapper does on a GPU, here on the CPU) at 10x the demo's
    learning rate: every loss is finite and the weights never go NaN."""
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    # smaller still, 32 px (16 patches): fp16 matmuls are slow on a CPU
    tiny_model_cfg.backbone.update(
        img_size=32,
        arch=dict(embed_dims=64, num_layers=2, num_heads=2,
                  feedforward_channels=128))
    tiny_model_cfg.neck.update(num_patches=16, embed_dim=64,
                               decoder_embed_dim=64, decoder_depth=1,
                               decoder_num_heads=2)
    model = MODELS.build(tiny_model_cfg)
    model.init_weights()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1.5e-2)
    scaler = torch.amp.GradScaler('cpu', init_scale=2.**16)
    images = torch.randn(8, 3, 32, 32) * 3  # beyond normalised range
    losses = []
    for _ in range(50):
        optimizer.zero_grad()
        with torch.autocast('cpu', dtype=torch.float16):
            loss, log_vars = model.parse_losses(model(images, mode='loss'))
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        losses.append(loss.item())
        assert all(
            math.isfinite(float(v.detach())) for v in log_vars.values())
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert len(losses) == 50 and all(math.isfinite(v) for v in losses)
