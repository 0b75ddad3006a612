"""SplitBN (MoCo's shuffling BN on one process): per-sub-batch statistics
in training against a hand-written reference, running statistics, plain
BatchNorm in evaluation and a checkpoint a plain-BN network loads."""
import pytest
import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.registry import init_default_scope

from mixedae_mm.models.utils import SplitBatchNorm2d


def _layer(splits=4, channels=3, seed=0):
    torch.manual_seed(seed)
    bn = SplitBatchNorm2d(channels, num_splits=splits, momentum=0.25)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 2.)
        bn.bias.uniform_(-1., 1.)
        bn.running_mean.uniform_(-1., 1.)
        bn.running_var.uniform_(0.5, 2.)
    return bn


def test_training_normalises_each_sub_batch_with_its_own_statistics():
    bn = _layer()
    old_mean, old_var = bn.running_mean.clone(), bn.running_var.clone()
    x = torch.randn(8, 3, 5, 5) * 3 + 1
    out = bn.train()(x)
    means, variances = [], []
    for j in range(4):  # sub-batch j: images j and j + 4
        part = x[j::4]
        mean = part.mean(dim=(0, 2, 3))
        var = part.var(dim=(0, 2, 3), unbiased=False)
        expected = (part - mean[:, None, None]) / torch.sqrt(
            var[:, None, None] + bn.eps)
        expected = expected * bn.weight[:, None, None] + bn.bias[:, None,
                                                                 None]
        torch.testing.assert_close(out[j::4], expected, rtol=1e-4,
                                   atol=1e-5)
        means.append(mean)
        variances.append(part.var(dim=(0, 2, 3), unbiased=True))
    # running statistics: BatchNorm's update, averaged over sub-batches
    torch.testing.assert_close(
        bn.running_mean, 0.75 * old_mean + 0.25 * torch.stack(means).mean(0))
    torch.testing.assert_close(
        bn.running_var,
        0.75 * old_var + 0.25 * torch.stack(variances).mean(0))
    assert int(bn.num_batches_tracked) == 1


def test_differs_from_one_batch_statistic_in_training():
    bn = _layer()
    plain = nn.BatchNorm2d(3, momentum=0.25)
    plain.load_state_dict(bn.state_dict())
    x = torch.randn(8, 3, 5, 5)
    x[::4] += 5.  # sub-batch 0 far from the others
    assert not torch.allclose(bn.train()(x), plain.train()(x), atol=1e-3)


def test_evaluation_and_one_split_are_plain_batch_norm():
    bn = _layer()
    plain = nn.BatchNorm2d(3, momentum=0.25)
    plain.load_state_dict(bn.state_dict())  # same keys as BatchNorm2d
    x = torch.randn(6, 3, 4, 4)  # no multiple of 4: fine in evaluation
    torch.testing.assert_close(bn.eval()(x), plain.eval()(x))
    one = _layer(splits=1)
    plain.load_state_dict(one.state_dict())
    torch.testing.assert_close(one.train()(x), plain.train()(x))
    torch.testing.assert_close(one.running_mean, plain.running_mean)


def test_gradient_reaches_the_affine_parameters_and_the_input():
    bn = _layer().train()
    x = torch.randn(8, 3, 4, 4, requires_grad=True)
    (bn(x) * torch.randn(8, 3, 4, 4)).sum().backward()
    assert bn.weight.grad.abs().sum() > 0 and bn.bias.grad.abs().sum() > 0
    assert x.grad.abs().sum() > 0


def test_bad_batch_and_splits_are_refused():
    with pytest.raises(ValueError, match='multiple of 4'):
        _layer().train()(torch.randn(6, 3, 4, 4))
    with pytest.raises(ValueError, match='num_splits'):
        SplitBatchNorm2d(3, num_splits=0)


def test_built_from_a_norm_cfg():
    init_default_scope('mmpretrain')
    name, layer = build_norm_layer(dict(type='SplitBN', num_splits=8), 16)
    assert name == 'bn' and isinstance(layer, SplitBatchNorm2d)
    assert (layer.num_features, layer.num_splits) == (16, 8)
