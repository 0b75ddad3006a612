"""Exact resume, determinism, refusing wrong checkpoints, non-finite losses,
unreadable data: the things that waste days of a pre-training run."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import DATASETS, MODELS

from conftest import tiny_runner_cfg, write_image_folder


@pytest.fixture
def one_thread():
    """Bit-exactness needs a fixed reduction order: with several threads,
    MKL may change its thread count when the machine is busy."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _train(work_dir, data_root, max_iters, **overrides):
    cfg = tiny_runner_cfg(str(work_dir), data_root, max_iters, **overrides)
    cfg.randomness = dict(seed=0)
    cfg.default_hooks.checkpoint.interval = 3
    runner = Runner.from_cfg(cfg)
    runner.train()
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    return runner, losses


@pytest.mark.slow
def test_resume_is_bit_exact(tmp_path, image_root, one_thread):
    """6 iterations uninterrupted == 3, stop, --resume, 3 more: the same
    losses at iterations 4-6 and the same final weights, on the CPU with a
    fixed seed (mixing masks, augmentation and data order included)."""
    full, full_losses = _train(tmp_path / 'full', image_root, 6)
    _train(tmp_path / 'first', image_root, 3)
    resumed, resumed_losses = _train(
        tmp_path / 'second', image_root, 6, resume=True,
        load_from=str(tmp_path / 'first' / 'iter_3.pth'))
    assert resumed.iter == 6
    assert resumed_losses.tolist() == full_losses.tolist()
    full_state = full.model.state_dict()
    for key, value in resumed.model.state_dict().items():
        assert torch.equal(value, full_state[key]), key


@pytest.mark.slow
def test_resume_without_the_rng_state_is_not_exact(
        tmp_path, image_root, one_thread):
    """The control: the same resume without RNGStateHook's saved state
    diverges, which is why the hook exists."""
    full, full_losses = _train(tmp_path / 'full', image_root, 6)
    _train(tmp_path / 'first', image_root, 3)
    ckpt = str(tmp_path / 'first' / 'iter_3.pth')
    from mixedae_mm.utils import load_local_checkpoint
    state = load_local_checkpoint(ckpt)
    del state['meta']['rng_state']
    torch.save(state, ckpt)
    _, resumed_losses = _train(tmp_path / 'second', image_root, 6,
                               resume=True, load_from=ckpt)
    assert resumed_losses[:3].tolist() == full_losses[:3].tolist()
    assert resumed_losses[3:].tolist() != full_losses[3:].tolist()


@pytest.mark.slow
def test_same_seed_same_first_loss(tmp_path, image_root, one_thread):
    _, a = _train(tmp_path / 'a', image_root, 1)
    _, b = _train(tmp_path / 'b', image_root, 1)
    assert a.tolist() == b.tolist()


def _other_arch_checkpoint(path, tiny_model_cfg):
    init_default_scope('mmpretrain')
    tiny_model_cfg.backbone.arch = dict(
        embed_dims=96, num_layers=2, num_heads=3, feedforward_channels=192)
    tiny_model_cfg.neck.embed_dim = 96
    other = MODELS.build(tiny_model_cfg)
    torch.save({'state_dict': other.state_dict(), 'meta': {}}, path)


@pytest.mark.parametrize('resume', [True, False])
def test_checkpoint_of_another_architecture_is_refused(
        tmp_path, image_root, tiny_model_cfg, resume):
    ckpt = str(tmp_path / 'other.pth')
    _other_arch_checkpoint(ckpt, tiny_model_cfg)
    cfg = tiny_runner_cfg(str(tmp_path / 'work'), image_root, 1,
                          load_from=ckpt, resume=resume)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match=r'does not match the model .*'
                       r'shape mismatches: .*backbone\.'):
        runner.train()
    assert not osp.exists(tmp_path / 'work' / 'iter_1.pth')


def test_non_finite_loss_stops_before_the_checkpoint(tmp_path, image_root):
    # std 0 turns every input into inf: the forward pass gives NaN
    cfg = tiny_runner_cfg(str(tmp_path), image_root, 2)
    cfg.model.data_preprocessor = dict(
        type='SelfSupDataPreprocessor', mean=[0., 0., 0.], std=[0., 0., 0.])
    cfg.default_hooks.checkpoint.interval = 1
    runner = Runner.from_cfg(cfg)
    with pytest.raises(RuntimeError, match='Non-finite loss at iteration 1'):
        runner.train()
    assert not osp.exists(tmp_path / 'iter_1.pth')


def test_per_process_batch_not_divisible(tmp_path, image_root):
    cfg = tiny_runner_cfg(str(tmp_path), image_root, 1)
    cfg.train_dataloader.batch_size = 6
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match=r'batch of 6 images \(per process\)'
                       r' is not divisible by 1/r = 4.*batch_size'):
        runner.train()


def _pipeline(**kwargs):
    return [dict(type='CheckedLoadImageFromFile', **kwargs)]


@pytest.fixture
def folder_with_bad_images(tmp_path):
    write_image_folder(str(tmp_path / 'train'), 1, 2)
    good = (tmp_path / 'train' / 'class_0' / '0.png').read_bytes()
    (tmp_path / 'train' / 'class_0' / 'truncated.png').write_bytes(
        good[:len(good) // 3])
    (tmp_path / 'train' / 'class_0' / 'empty.png').write_bytes(b'')
    return tmp_path


@pytest.mark.parametrize('name', ['truncated.png', 'empty.png'])
def test_unreadable_image_is_named(folder_with_bad_images, name):
    init_default_scope('mmpretrain')
    ds = DATASETS.build(dict(type='CustomDataset',
                             data_root=str(folder_with_bad_images),
                             data_prefix='train', pipeline=_pipeline()))
    index = [osp.basename(ds.get_data_info(i)['img_path'])
             for i in range(len(ds))].index(name)
    with pytest.raises(ValueError, match=f'Cannot read image .*{name}.*'
                       "on_error='skip'"):
        ds[index]


def test_unreadable_images_can_be_skipped_and_are_logged(
        folder_with_bad_images, capsys):
    from mmengine.logging import MMLogger
    MMLogger.get_instance('skip_test', log_level='WARNING')
    init_default_scope('mmpretrain')
    ds = DATASETS.build(dict(type='CustomDataset',
                             data_root=str(folder_with_bad_images),
                             data_prefix='train',
                             pipeline=_pipeline(on_error='skip')))
    names = {osp.basename(ds[i]['img_path']) for i in range(len(ds))}
    assert names <= {'0.png', '1.png'}
    assert 'Skipped unreadable image' in capsys.readouterr().out


def test_empty_data_folder_is_named(tmp_path):
    (tmp_path / 'train').mkdir()
    init_default_scope('mmpretrain')
    with pytest.raises(RuntimeError, match='Found 0 files in .*train'):
        DATASETS.build(dict(type='CustomDataset', data_root=str(tmp_path),
                            data_prefix='train', pipeline=[]))


def test_rng_state_round_trip():
    from mixedae_mm.engine import RNGStateHook
    state = RNGStateHook.get_state()
    a = (torch.rand(3), np.random.rand(3))
    RNGStateHook.set_state(state)
    b = (torch.rand(3), np.random.rand(3))
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_state_dict_diff_and_key_listing():
    from mixedae_mm.utils import diff_state_dicts, list_keys
    expected = {'a': torch.zeros(2), 'b': torch.zeros(3), 'c': torch.zeros(1)}
    given = {'b': torch.zeros(4), 'c': torch.zeros(1), 'd': torch.zeros(1)}
    diff = diff_state_dicts(expected, given)
    assert diff.missing == ['a'] and diff.unexpected == ['d']
    assert diff.shared == ['b', 'c'] and diff.mismatched == ['b']
    assert list_keys(['x', 'y', 'z'], 2) == 'x, y ... and 1 more'
    assert list_keys(['x'], 2) == 'x'
