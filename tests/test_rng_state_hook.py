"""RNGStateHook's pieces: plain saved states, the old checkpoint format,
data-loader workers whose draws follow the epoch, and one seed per rank."""
import glob
import os.path as osp
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from conftest import ROOT
from mixedae_mm.engine.hooks import RNGStateHook
from mixedae_mm.engine.hooks.worker_seeding import EpochSeededPipeline

# every pre-training config (not the transfer benchmarks, not the
# single-process CPU proxies)
PRETRAIN_CONFIGS = sorted(
    glob.glob(osp.join(ROOT, 'configs', '*.py')) +
    glob.glob(osp.join(ROOT, 'configs', 'mixedae', '*.py')) +
    glob.glob(osp.join(ROOT, 'configs', 'mixedae', 'ablations', '*.py')) +
    glob.glob(osp.join(ROOT, 'configs', 'mixmask', '*.py')))


def _draws():
    return (torch.rand(3).tolist(), np.random.rand(3).tolist(),
            [random.random() for _ in range(3)])


def test_state_round_trips_through_a_weights_only_file(tmp_path):
    torch.manual_seed(1), np.random.seed(2), random.seed(3)
    np.random.randn()  # a cached gaussian is part of numpy's state
    path = str(tmp_path / 'state.pth')
    torch.save(RNGStateHook.get_state(), path)
    expected = _draws()
    # plain tensors, ints and tuples: no allow-list needed
    state = torch.load(path, weights_only=True)
    torch.manual_seed(0), np.random.seed(0), random.seed(0)
    RNGStateHook.set_state(state)
    assert _draws() == expected


def test_state_of_the_previous_format_is_restored():
    """Before per-rank states the checkpoint held one state with numpy's
    own tuple (an ndarray of keys)."""
    np.random.seed(5), torch.manual_seed(5), random.seed(5)
    old = dict(torch=torch.get_rng_state(), numpy=np.random.get_state(),
               python=random.getstate())
    expected = _draws()
    world, states = RNGStateHook._per_rank(old)
    assert world == 1 and states == [old]
    RNGStateHook.set_state(states[0])
    assert _draws() == expected


class _Draws(Dataset):
    """Each sample is a numpy draw made by the (wrapped) pipeline."""

    def __init__(self):
        self.pipeline = lambda results: np.random.rand()

    def __len__(self):
        return 8

    def __getitem__(self, idx):
        return self.pipeline(idx)


def _epochs(epochs, persistent, start=0):
    """The draws of ``epochs`` epochs from ``start`` with 2 workers."""
    dataset = _Draws()
    epoch = torch.zeros(1, dtype=torch.int64).share_memory_()
    assert EpochSeededPipeline.wrap_dataset(dataset, epoch, 0, 0) == 1
    loader = DataLoader(dataset, batch_size=2, num_workers=2,
                        persistent_workers=persistent)
    out = []
    for e in range(start, start + epochs):
        epoch[0] = e
        out.append(torch.cat(list(loader)).tolist())
    return out


@pytest.mark.parametrize('persistent', [True, False])
def test_workers_draw_by_epoch_not_by_history(persistent):
    two = _epochs(2, persistent)
    # a fresh loader that starts at epoch 1 (a resume) draws what the
    # uninterrupted one drew in epoch 1
    assert _epochs(1, persistent, start=1) == two[1:]
    # and the epochs differ from each other
    assert two[0] != two[1]


def test_nested_data_sets_are_wrapped_once():
    """RepeatDataset(ConcatDataset([a, b])): ``.dataset`` / ``.datasets``."""
    a, b = _Draws(), _Draws()
    nested = SimpleNamespace(dataset=SimpleNamespace(datasets=[a, b]))
    epoch = torch.zeros(1, dtype=torch.int64)
    assert EpochSeededPipeline.wrap_dataset(nested, epoch, 0, 0) == 2
    assert EpochSeededPipeline.wrap_dataset(nested, epoch, 0, 0) == 0
    assert isinstance(a.pipeline, EpochSeededPipeline)


def test_the_pretraining_config_list_is_not_empty():
    names = [osp.basename(path) for path in PRETRAIN_CONFIGS]
    assert len(names) >= 20
    assert 'mixmask-mocov2_resnet50_8xb32-coslr-200e_in1k.py' in names
    assert 'mixedae_vit-tiny-p8_1xb16-60i_demo-64px.py' in names


@pytest.mark.parametrize('path', PRETRAIN_CONFIGS, ids=osp.basename)
def test_every_pretraining_config_seeds_each_rank_apart(path):
    """``diff_rank_seed``: rank r is seeded with seed + r, so on several
    GPUs every rank draws its own mixing masks (MixedAE's and MixMask's
    come from torch's global generator) and augmentations."""
    from mmengine.config import Config
    cfg = Config.fromfile(path)
    assert cfg.randomness.get('diff_rank_seed') is True, cfg.randomness


def test_several_processes_with_one_seed_are_warned(monkeypatch):
    from mixedae_mm.engine.hooks import rng_state_hook
    monkeypatch.setattr(rng_state_hook, 'get_world_size', lambda: 2)
    warnings = []
    runner = SimpleNamespace(_randomness_cfg=dict(seed=0),
                             logger=SimpleNamespace(warning=warnings.append),
                             train_loop=None)
    RNGStateHook().before_train(runner)
    assert len(warnings) == 1
    assert warnings[0].startswith('2 processes share one seed')
    assert 'randomness=dict(diff_rank_seed=True)' in warnings[0]
    runner._randomness_cfg = dict(seed=0, diff_rank_seed=True)
    RNGStateHook().before_train(runner)
    assert len(warnings) == 1
