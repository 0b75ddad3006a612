"""MixMask's area-weighted soft loss at lam = 0.25, where lam and 1 - lam
tell apart.

The tiny configs draw 4 x 4 block masks at ratio 0.5, so lam is 0.5 in
almost every draw and a swap of lam and 1 - lam goes unseen there.  Here the
mask is a fixed quadrant (lam = 1/4), and each algorithm's mixed term is
recomputed by hand: the mixed and switched images built pixel by pixel
from Eq. 1 and 2, ``lam * L(mixed) + (1 - lam) * L(switched)`` with the
base algorithm's ``L`` (MoCo's InfoNCE written out).
"""
import copy
import os.path as osp

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

import mixedae_mm  # noqa: F401  (registers the modules)
from conftest import ROOT

SIZE, BATCH = 32, 8
REVERSED = list(range(BATCH - 1, -1, -1))  # image i's partner: N - 1 - i


def quadrant_mask():
    """1 on the top-left quadrant (image i), 0 elsewhere (its partner)."""
    mask = torch.zeros(SIZE, SIZE)
    mask[:SIZE // 2, :SIZE // 2] = 1
    return mask


class FixedMask:
    """Stands in for the mask generator: always the quadrant, lam = 1/4."""

    def __call__(self, height, width, device=None, generator=None):
        assert (height, width) == (SIZE, SIZE)
        return quadrant_mask(), 0.25


def build(name):
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'mixmask',
                 f'mixmask-{name}_resnet18-tiny_1xb16-20i_demo-32px.py'))
    model_cfg = cfg.model.to_dict()
    model_cfg['data_preprocessor'] = cfg.data_preprocessor.to_dict()
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.mask_generator = FixedMask()
    return model, model_cfg


def views():
    g = torch.Generator().manual_seed(0)
    return [torch.randn(BATCH, 3, SIZE, SIZE, generator=g) for _ in range(2)]


def mixed_and_switched(x):
    """Eq. 1 and Eq. 2 by hand: mixed[i] shows image i on the quadrant and
    its partner elsewhere; switched[i] the other way round."""
    mixed, switched = torch.empty_like(x), torch.empty_like(x)
    half = SIZE // 2
    for i, j in enumerate(REVERSED):
        mixed[i], switched[i] = x[j], x[i]
        mixed[i, :, :half, :half] = x[i, :, :half, :half]
        switched[i, :, :half, :half] = x[j, :, :half, :half]
    return mixed, switched


def test_soft_loss_weighs_the_mixed_term_by_lam():
    model, _ = build('simsiam')
    z = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    w = torch.randn(4, 3, generator=torch.Generator().manual_seed(1))

    def loss_fn(rows):  # row i scored against "target" i
        return (rows * w).sum()

    expected = 0.25 * float((z * w).sum()) + 0.75 * float(
        (z[[3, 2, 1, 0]] * w).sum())
    swapped = 0.75 * float((z * w).sum()) + 0.25 * float(
        (z[[3, 2, 1, 0]] * w).sum())
    assert abs(expected - swapped) > 0.1  # the check can tell them apart
    assert float(model.soft_loss(0.25, z, loss_fn)) == pytest.approx(
        expected, rel=1e-6)


def test_moco_mixed_term_at_a_quarter():
    model, cfg = build('mocov2')
    ref = copy.deepcopy(model)
    x1, x2 = views()
    queue = model.queue.clone()
    torch.manual_seed(1)
    out = model.loss([x1.clone(), x2.clone()], None)

    torch.manual_seed(1)  # the same draws: MoCo's batch shuffle only
    with torch.no_grad():
        ref.embed(x1)
        ref.encoder_k.update_parameters(nn.Sequential(ref.backbone, ref.neck))
        perm = torch.randperm(BATCH)
        k = F.normalize(ref.encoder_k(x2[perm])[0], dim=1)[perm.argsort()]
        mixed, switched = mixed_and_switched(x1)
        q_mix = F.normalize(ref.embed(mixed), dim=1)
        q_sw = F.normalize(ref.embed(switched), dim=1)

    def infonce(q):
        logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue], 1)
        logits = logits / cfg['head']['temperature']
        return F.cross_entropy(logits, torch.zeros(BATCH, dtype=torch.long))

    expected = 0.25 * infonce(q_mix) + 0.75 * infonce(q_sw)
    swapped = 0.75 * infonce(q_mix) + 0.25 * infonce(q_sw)
    assert float(out['lam']) == 0.25
    assert abs(float(expected - swapped)) > 1e-3
    torch.testing.assert_close(out['loss_mix'], expected, rtol=1e-4,
                               atol=1e-5)


@pytest.mark.parametrize('name,factor', [('byol', 2.0), ('simsiam', 0.5),
                                         ('barlowtwins', 1.0)])
def test_mixed_term_at_a_quarter(name, factor):
    model, _ = build(name)
    ref = copy.deepcopy(model)
    x1, x2 = views()
    torch.manual_seed(1)
    out = model.loss([x1.clone(), x2.clone()], None)

    with torch.no_grad():
        if name == 'byol':
            ref.target_net.update_parameters(
                nn.Sequential(ref.backbone, ref.neck))
            target = ref.target_net(x2)[0]
        else:
            target = ref.embed(x2)
        mixed, switched = mixed_and_switched(x1)
        l_mix = ref.head.loss(ref.embed(mixed), target)
        l_sw = ref.head.loss(ref.embed(switched), target)
    expected = factor * (0.25 * l_mix + 0.75 * l_sw)
    swapped = factor * (0.75 * l_mix + 0.25 * l_sw)
    assert float(out['lam']) == 0.25
    assert abs(float(expected - swapped)) > 1e-3
    torch.testing.assert_close(out['loss_mix'], expected, rtol=1e-4,
                               atol=1e-5)
