"""MixMask on MoCo v2, BYOL, SimSiam and Barlow Twins: Eq. 1 on a
hand-made batch, the switch shortcut against explicitly built switch images,
each algorithm's mixed term recomputed by hand, mix_weight=0 against
MMPretrain's own algorithm, and odd batches refused."""
import copy
import os.path as osp

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

from conftest import ROOT
from mixedae_mm.models import (MixMaskGenerator, MixMaskMixin, MixMaskMoCo,
                               mix_images)

NAMES = ('mocov2', 'byol', 'simsiam', 'barlowtwins')
BASE_TYPES = dict(
    MixMaskMoCo='MoCo',
    MixMaskBYOL='BYOL',
    MixMaskSimSiam='SimSiam',
    MixMaskBarlowTwins='BarlowTwins')


def tiny_config(name: str) -> str:
    return osp.join(ROOT, 'configs', 'mixmask',
                    f'mixmask-{name}_resnet18-tiny_1xb16-20i_demo-32px.py')


def model_cfg(name: str, **overrides) -> dict:
    cfg = Config.fromfile(tiny_config(name))
    model = cfg.model.to_dict()
    model['data_preprocessor'] = cfg.data_preprocessor.to_dict()
    model.update(overrides)
    return model


def build(cfg: dict):
    init_default_scope('mmpretrain')
    return MODELS.build(copy.deepcopy(cfg))


def views(n: int = 8, size: int = 32, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(n, 3, size, size, generator=g) for _ in range(2)]


def switch_images(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Eq. 2, built explicitly: image i where x_mix[i] shows its partner,
    the partner where x_mix[i] shows image i."""
    return (1 - mask) * x + mask * x.flip(0)


# --- mixing -----------------------------------------------------------------


def test_mixed_view_is_eq1_on_a_hand_made_batch():
    n, c, h, w = 4, 2, 2, 2
    x = torch.arange(n * c * h * w, dtype=torch.float32).view(n, c, h, w)
    mask = torch.tensor([[1., 0.], [0., 1.]])
    mixed = mix_images(x, mask)
    expected = torch.empty_like(x)
    for i in range(n):
        for ch in range(c):
            for r in range(h):
                for col in range(w):
                    src = i if mask[r, col] == 1 else n - 1 - i
                    expected[i, ch, r, col] = x[src, ch, r, col]
    assert torch.equal(mixed, expected)
    # and the formula of the paper, M * x_i + (1 - M) * x_{N-1-i}
    assert torch.equal(mixed, mask * x + (1 - mask) * x.flip(0))


def test_mix_draws_one_mask_and_lam_is_its_mean():
    model = build(model_cfg('mocov2'))
    x = views()[0]
    torch.manual_seed(3)
    mixed, lam = model.mix(x)
    torch.manual_seed(3)
    mask, lam_again = model.mask_generator(32, 32)
    assert lam == lam_again == pytest.approx(mask.mean().item())
    assert 0 < lam < 1
    assert torch.equal(mixed, mask * x + (1 - mask) * x.flip(0))


def test_flip_is_the_switch_only_because_the_mask_is_shared():
    x = views()[0]
    mask, _ = MixMaskGenerator(4)(32, 32, generator=torch.Generator()
                                  .manual_seed(0))
    mixed = mix_images(x, mask)
    assert torch.equal(MixMaskMixin.switch(mixed), switch_images(x, mask))
    # per-image masks (not MixMask's): the flipped batch is no switch batch
    masks = torch.stack([
        MixMaskGenerator(4)(32, 32, generator=torch.Generator()
                            .manual_seed(i))[0] for i in range(8)
    ])[:, None]
    mixed = masks * x + (1 - masks) * x.flip(0)
    assert not torch.equal(mixed.flip(0), (1 - masks) * x + masks * x.flip(0))


@pytest.mark.parametrize('name', NAMES)
def test_switch_embeddings_equal_those_of_the_switch_images(name):
    """In training mode (BatchNorm on batch statistics) the embeddings of
    the explicitly built switch images equal the flipped embeddings of the
    mixed batch."""
    model = build(model_cfg(name))
    x = views()[0]
    mask, _ = model.mask_generator(32, 32)
    with torch.no_grad():
        z_mix = model.embed(mix_images(x, mask))
        z_sw = model.embed(switch_images(x, mask))
    torch.testing.assert_close(model.switch(z_mix), z_sw, rtol=1e-4,
                               atol=1e-5)


@pytest.mark.parametrize('n', [1, 7])
def test_an_odd_batch_is_refused(n):
    model = build(model_cfg('mocov2'))
    with pytest.raises(ValueError, match='must be even'):
        model.loss(views(n), None)
    with pytest.raises(ValueError, match='must be even'):
        model.mix(views(n)[0])


# --- the mixed term, recomputed by hand ----------------------------------


def test_moco_mixed_term_by_hand_and_the_queue_gets_clean_keys_once():
    torch.manual_seed(0)
    model = build(model_cfg('mocov2'))
    ref = copy.deepcopy(model)
    x1, x2 = views()
    queue = model.queue.clone()
    torch.manual_seed(1)
    out = model.loss([x1.clone(), x2.clone()], None)

    # by hand, drawing the same random numbers in the same order
    torch.manual_seed(1)
    with torch.no_grad():
        q = F.normalize(ref.embed(x1), dim=1)
        ref.encoder_k.update_parameters(nn.Sequential(ref.backbone, ref.neck))
        perm = torch.randperm(8)  # MoCo's batch shuffle for the keys
        k = F.normalize(ref.encoder_k(x2[perm])[0], dim=1)[perm.argsort()]
        mask, lam = ref.mask_generator(32, 32)
        q_mix = F.normalize(ref.embed(mask * x1 + (1 - mask) * x1.flip(0)),
                            dim=1)
        q_sw = F.normalize(ref.embed(switch_images(x1, mask)), dim=1)

    def infonce(query):
        logits = torch.cat([(query * k).sum(1, keepdim=True), query @ queue],
                           1) / 0.2
        return F.cross_entropy(logits, torch.zeros(8, dtype=torch.long))

    assert float(out['lam']) == pytest.approx(lam)
    torch.testing.assert_close(out['loss_orig'], infonce(q))
    # collapse signals of the clean pass: queries against their keys
    torch.testing.assert_close(out['emb_std'], q.std(dim=0).mean())
    torch.testing.assert_close(out['view_cos'], (q * k).sum(1).mean())
    torch.testing.assert_close(
        out['loss_mix'], lam * infonce(q_mix) + (1 - lam) * infonce(q_sw),
        rtol=1e-4, atol=1e-5)
    # the clean keys, and only they, were enqueued, once
    assert int(model.queue_ptr) == 8
    torch.testing.assert_close(model.queue[:, :8], k.T)
    assert torch.equal(model.queue[:, 8:], queue[:, 8:])


@pytest.mark.parametrize('name,factor', [('byol', 2.0), ('simsiam', 0.5),
                                         ('barlowtwins', 1.0)])
def test_mixed_term_by_hand(name, factor):
    torch.manual_seed(0)
    model = build(model_cfg(name))
    ref = copy.deepcopy(model)
    x1, x2 = views()
    torch.manual_seed(1)
    out = model.loss([x1.clone(), x2.clone()], None)

    torch.manual_seed(1)
    with torch.no_grad():
        online = ref.embed(x1)
        if name == 'byol':
            ref.target_net.update_parameters(
                nn.Sequential(ref.backbone, ref.neck))
            target = ref.target_net(x2)[0]
        else:
            target = ref.embed(x2)
        mask, lam = ref.mask_generator(32, 32)
        z_mix = ref.embed(mask * x1 + (1 - mask) * x1.flip(0))
        z_sw = ref.embed(switch_images(x1, mask))
        expected = factor * (lam * ref.head.loss(z_mix, target) +
                             (1 - lam) * ref.head.loss(z_sw, target))
    assert float(out['lam']) == pytest.approx(lam)
    torch.testing.assert_close(out['loss_mix'], expected, rtol=1e-4,
                               atol=1e-5)
    # collapse signals: the first view's online embedding against its target
    online, target = F.normalize(online, dim=1), F.normalize(target, dim=1)
    torch.testing.assert_close(out['emb_std'], online.std(dim=0).mean(),
                               rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(out['view_cos'],
                               (online * target).sum(1).mean(), rtol=1e-4,
                               atol=1e-6)


# --- mix_weight = 0 is the base algorithm --------------------------------


@pytest.mark.parametrize('name', NAMES)
def test_zero_mix_weight_gives_the_base_algorithms_loss_exactly(name):
    """Same weights, momentum encoder and queue, same seed: MMPretrain's own
    algorithm and MixMask with mix_weight=0 give the same total loss, bit
    for bit (no mixed pass, only the collapse signals logged beside it);
    with mix_weight=1 the mixed term adds to it."""
    torch.manual_seed(0)
    cfg = model_cfg(name, mix_weight=0.0)
    mixmask = build(cfg)
    base_cfg = {
        k: v
        for k, v in cfg.items()
        if k not in ('mask_cfg', 'mix_weight', 'detach_target')
    }
    base_cfg['type'] = BASE_TYPES[cfg['type']]
    base = build(base_cfg)
    base.load_state_dict(mixmask.state_dict())
    heavy = copy.deepcopy(mixmask)
    heavy.mix_weight = 1.0
    inputs = views()

    torch.manual_seed(1)
    ref = base.loss([x.clone() for x in inputs], None)
    rng_base = torch.get_rng_state()
    torch.manual_seed(1)
    out = mixmask.loss([x.clone() for x in inputs], None)
    # no mixed pass: not even a mask is drawn
    assert torch.equal(torch.get_rng_state(), rng_base)
    torch.manual_seed(1)
    out_heavy = heavy.loss([x.clone() for x in inputs], None)

    total_ref, _ = base.parse_losses(ref)
    total, log_vars = mixmask.parse_losses(out)
    assert torch.equal(total, total_ref)
    assert torch.equal(out['loss_orig'], ref['loss'])
    assert set(log_vars) == {'loss', 'loss_orig', 'emb_std', 'view_cos'}
    # the signals are logged, not summed: the total is loss_orig alone
    assert torch.equal(total, out['loss_orig'])
    # with weight 1 the mixed term is added, lam is not
    total_heavy, log_heavy = heavy.parse_losses(out_heavy)
    assert torch.equal(out_heavy['loss_orig'], ref['loss'])
    assert float(out_heavy['loss_mix'].detach()) != 0.0
    torch.testing.assert_close(
        total_heavy, out_heavy['loss_orig'] + out_heavy['loss_mix'])
    assert 0 < log_heavy['lam'] < 1
    assert set(log_heavy) == {
        'loss', 'loss_orig', 'loss_mix', 'lam', 'emb_std', 'view_cos'}
    if name == 'mocov2':  # the queue moved once, by the same clean keys
        assert torch.equal(mixmask.queue, base.queue)
        assert int(mixmask.queue_ptr) == int(base.queue_ptr) == 8


def test_barlowtwins_detach_target_stops_the_mixed_gradient():
    """With detach_target the second view gets gradient only from the
    base term."""
    cfg = model_cfg('barlowtwins', detach_target=True)
    torch.manual_seed(0)
    model = build(cfg)
    x1, x2 = views()
    x2.requires_grad_(True)
    out = model.loss([x1, x2], None)
    (grad_mix, ) = torch.autograd.grad(out['loss_mix'], x2,
                                       retain_graph=True, allow_unused=True)
    assert grad_mix is None or float(grad_mix.abs().max()) == 0.0
    (grad_orig, ) = torch.autograd.grad(out['loss_orig'], x2)
    assert float(grad_orig.abs().max()) > 0
    # without it, the mixed term reaches the second view too
    model.detach_target = False
    out = model.loss([x1, x2], None)
    (grad_mix, ) = torch.autograd.grad(out['loss_mix'], x2)
    assert float(grad_mix.abs().max()) > 0


def test_negative_mix_weight_is_refused():
    with pytest.raises(ValueError, match='mix_weight'):
        build(model_cfg('mocov2', mix_weight=-1.0))


def test_mixmask_moco_is_mmpretrains_moco():
    from mmpretrain.models import MoCo
    model = build(model_cfg('mocov2'))
    assert isinstance(model, MixMaskMoCo) and isinstance(model, MoCo)
    assert type(model).loss is not MoCo.loss
    for attr in ('extract_feat', '_dequeue_and_enqueue', 'forward'):
        assert getattr(type(model), attr) is getattr(MoCo, attr)
