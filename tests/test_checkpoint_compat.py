"""mmengine 0.10.7 resume and init_cfg=Pretrained under torch >= 2.6."""
import os.path as osp
import pickle

import pytest
import torch
from mmengine.runner import Runner

from conftest import tiny_runner_cfg


@pytest.fixture(scope='module')
def trained(tmp_path_factory, image_root):
    """A tiny MixedAE trained for 2 iterations, and its checkpoint."""
    work = str(tmp_path_factory.mktemp('work'))
    runner = Runner.from_cfg(tiny_runner_cfg(work, image_root, max_iters=2))
    runner.train()
    ckpt = osp.join(work, 'iter_2.pth')
    assert osp.isfile(ckpt)
    return runner, ckpt


def test_plain_torch_load_refuses_the_checkpoint(trained):
    """The problem being fixed: torch >= 2.6 refuses mmengine checkpoints."""
    _, ckpt = trained
    with pytest.raises(pickle.UnpicklingError):
        torch.load(ckpt)


def test_resume_continues_from_the_checkpoint(trained, tmp_path, image_root):
    first, ckpt = trained
    cfg = tiny_runner_cfg(str(tmp_path), image_root, max_iters=4,
                          resume=True, load_from=ckpt)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 4
    # the message hub came back: the first 2 losses are the first run's
    history = runner.message_hub.get_scalar('train/loss').data[0]
    first_history = first.message_hub.get_scalar('train/loss').data[0]
    assert len(history) == 4
    assert history[:2].tolist() == first_history.tolist()
    # and so did the optimizer: AdamW has taken 4 steps in all
    state = runner.optim_wrapper.optimizer.state
    steps = {int(s['step']) for s in state.values()}
    assert steps == {4}


def test_pretrained_init_cfg_loads_the_weights(trained, tiny_model_cfg):
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    first, ckpt = trained
    init_default_scope('mmpretrain')
    tiny_model_cfg.init_cfg = dict(type='Pretrained', checkpoint=ckpt)
    model = MODELS.build(tiny_model_cfg)
    model.init_weights()
    expected = first.model.state_dict()
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, expected[key], msg=key)


def test_pure_weights_file_loads_without_pickled_objects(trained, tmp_path):
    from mixedae_mm.utils import load_local_checkpoint
    first, _ = trained
    path = str(tmp_path / 'weights.pth')
    torch.save({'state_dict': first.model.state_dict()}, path)
    loaded = load_local_checkpoint(path)
    assert set(loaded['state_dict']) == set(first.model.state_dict())


def test_missing_file_is_named(tmp_path):
    from mixedae_mm.utils import load_local_checkpoint
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_local_checkpoint(str(tmp_path / 'nope.pth'))
