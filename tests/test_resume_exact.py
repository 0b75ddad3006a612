"""Exact resume in the settings of real pre-training: an epoch-based loop
with persistent data-loader workers, and an iteration-based resume whose
next batch starts a new pass over the data.  A resumed run must give the
uninterrupted run's losses to the last bit and its final weights (CPU, one
thread, fixed seed)."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.runner import Runner, ValLoop
from mmpretrain.registry import LOOPS

from conftest import tiny_runner_cfg


@LOOPS.register_module(force=True)
class DataOnlyValLoop(ValLoop):
    """mmengine's ValLoop, every batch fetched but not run through the model
    (self-supervised models have no ``predict`` mode).  Fetching is where a
    validation draws random numbers: its data loader draws a seed from
    torch's generator, a random pipeline from numpy's."""

    def run_iter(self, idx, data_batch) -> None:
        self.runner.call_hook(
            'before_val_iter', batch_idx=idx, data_batch=data_batch)
        self.runner.call_hook(
            'after_val_iter', batch_idx=idx, data_batch=data_batch,
            outputs=[])


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _cfg(work, image_root, loop, workers, **overrides):
    """16 images, batches of 8: a pass over the data is 2 iterations."""
    cfg = tiny_runner_cfg(str(work), image_root, max_iters=4, **overrides)
    cfg.randomness = dict(seed=0)
    cfg.train_dataloader.batch_size = 8
    cfg.train_dataloader.dataset.times = 1
    cfg.train_dataloader.num_workers = workers
    cfg.train_dataloader.persistent_workers = workers > 0
    if loop == 'epoch':
        cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=3)
        cfg.default_hooks.checkpoint = dict(
            type='CheckpointHook', interval=1, by_epoch=True)
    else:
        cfg.default_hooks.checkpoint.interval = 2
    return cfg


def _train(cfg):
    runner = Runner.from_cfg(cfg)
    runner.train()
    losses = runner.message_hub.get_scalar('train/loss').data[0].tolist()
    return runner, losses


def _assert_same_run(resumed, resumed_losses, full, full_losses):
    assert resumed.iter == full.iter
    assert resumed_losses == full_losses
    full_state = full.model.state_dict()
    for key, value in resumed.model.state_dict().items():
        assert torch.equal(value, full_state[key]), key


@pytest.mark.slow
def test_epoch_based_resume_with_persistent_workers_is_exact(
        tmp_path, image_root, one_thread):
    """3 epochs of 2 iterations with 2 persistent workers == 1 epoch, stop,
    --resume, 2 more.  The workers' augmentations must follow the epoch,
    not the workers' history, since a resumed run has fresh workers."""
    full, full_losses = _train(
        _cfg(tmp_path / 'full', image_root, 'epoch', workers=2))
    assert full.iter == 6
    ckpt = str(tmp_path / 'full' / 'epoch_1.pth')
    resumed, resumed_losses = _train(
        _cfg(tmp_path / 'resumed', image_root, 'epoch', workers=2,
             resume=True, load_from=ckpt))
    _assert_same_run(resumed, resumed_losses, full, full_losses)


@pytest.mark.slow
def test_iteration_based_resume_at_a_new_pass_is_exact(
        tmp_path, image_root, one_thread):
    """Checkpoint after iteration 2, the end of the first pass: the resumed
    run's next batch creates a new data-loader iterator, which draws from
    torch's generator -- from the restored one, as in the original run."""
    full, full_losses = _train(
        _cfg(tmp_path / 'full', image_root, 'iter', workers=0))
    ckpt = str(tmp_path / 'full' / 'iter_2.pth')
    assert osp.isfile(ckpt)
    resumed, resumed_losses = _train(
        _cfg(tmp_path / 'resumed', image_root, 'iter', workers=0,
             resume=True, load_from=ckpt))
    _assert_same_run(resumed, resumed_losses, full, full_losses)


@pytest.mark.slow
def test_resume_of_a_config_that_validates_is_exact(
        tmp_path, image_root, one_thread):
    """4 iterations validating every 2 (after the checkpoint at 2 is
    captured), with the training pipeline's random augmentations:
    RNGStateHook undoes the validation's draws, so the resume from
    iteration 2 gives the uninterrupted losses and weights."""

    def cfg(work, **overrides):
        cfg = _cfg(work, image_root, 'iter', workers=0, **overrides)
        cfg.val_dataloader = copy.deepcopy(cfg.train_dataloader)
        cfg.val_dataloader.sampler.shuffle = False
        cfg.val_cfg = dict(type='DataOnlyValLoop')
        cfg.val_evaluator = dict(type='Evaluator', metrics=[])
        cfg.train_cfg.val_interval = 2
        return cfg

    full, full_losses = _train(cfg(tmp_path / 'full'))
    ckpt = str(tmp_path / 'full' / 'iter_2.pth')
    resumed, resumed_losses = _train(
        cfg(tmp_path / 'resumed', resume=True, load_from=ckpt))
    _assert_same_run(resumed, resumed_losses, full, full_losses)
