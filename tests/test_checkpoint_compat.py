"""mmengine 0.10.7 resume and init_cfg=Pretrained under torch >= 2.6, with
``weights_only=True`` and an allow-list: a pickle that would run code is
refused, every checkpoint our Runner writes loads."""
import dataclasses
import os
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


class _WritesAFile:
    """Unpickling this calls ``os.system``: the attack being refused."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f'touch {self.path}', ))


@dataclasses.dataclass
class Harmless:
    """A class outside the allow-list that runs no code."""
    value: int = 3


def test_checkpoint_that_would_run_code_is_refused(tmp_path, monkeypatch):
    from mixedae_mm.utils import TRUST_ENV, load_local_checkpoint
    monkeypatch.delenv(TRUST_ENV, raising=False)
    marker = tmp_path / 'pwned'
    path = str(tmp_path / 'crafted.pth')
    torch.save({'state_dict': {}, 'meta': _WritesAFile(marker)}, path)
    with pytest.raises(pickle.UnpicklingError) as error:
        load_local_checkpoint(path)
    assert not marker.exists()
    message = str(error.value)
    # names the offending global and the one switch that opts in
    assert 'posix.system' in message or 'os.system' in message
    assert f'{TRUST_ENV}=1' in message and 'crafted.pth' in message


def test_mmengine_loader_refuses_it_too(tmp_path, monkeypatch):
    """What --resume and init_cfg=Pretrained call: mmengine's loader."""
    from mmengine.runner import CheckpointLoader

    from mixedae_mm.utils import TRUST_ENV
    monkeypatch.delenv(TRUST_ENV, raising=False)
    marker = tmp_path / 'pwned'
    path = str(tmp_path / 'crafted.pth')
    torch.save({'state_dict': _WritesAFile(marker)}, path)
    with pytest.raises(pickle.UnpicklingError, match=TRUST_ENV):
        CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert not marker.exists()


def test_the_switch_loads_a_trusted_file(tmp_path, monkeypatch):
    from mixedae_mm.utils import TRUST_ENV, load_local_checkpoint
    path = str(tmp_path / 'custom.pth')
    torch.save({'meta': Harmless(5)}, path)
    monkeypatch.delenv(TRUST_ENV, raising=False)
    with pytest.raises(pickle.UnpicklingError,
                       match=r'test_checkpoint_compat\.Harmless'):
        load_local_checkpoint(path)
    monkeypatch.setenv(TRUST_ENV, '1')
    assert load_local_checkpoint(path)['meta'] == Harmless(5)


def test_torch_without_the_safe_globals_api_needs_the_switch(
        tmp_path, monkeypatch):
    """On a torch older than 2.6 (no safe-globals API) nothing is loaded
    with weights_only=False unless the user opts in for a trusted file."""
    from mixedae_mm.utils import TRUST_ENV, load_local_checkpoint
    path = str(tmp_path / 'weights.pth')
    torch.save({'w': torch.ones(2)}, path)
    monkeypatch.delattr(torch.serialization,
                        'get_unsafe_globals_in_checkpoint')
    monkeypatch.delenv(TRUST_ENV, raising=False)
    with pytest.raises(RuntimeError, match='torch >= 2.6') as err:
        load_local_checkpoint(path)
    assert f'{TRUST_ENV}=1' in str(err.value)
    monkeypatch.setenv(TRUST_ENV, '1')
    assert torch.equal(load_local_checkpoint(path)['w'], torch.ones(2))


def test_allow_list_is_not_left_registered(trained):
    from mmengine.logging import HistoryBuffer

    from mixedae_mm.utils import load_local_checkpoint
    _, ckpt = trained

    def registered():  # torch may restore the list in another order
        return sorted(map(repr, torch.serialization.get_safe_globals()))

    before = registered()
    loaded = load_local_checkpoint(ckpt)
    assert isinstance(loaded['message_hub']['log_scalars']['train/loss'],
                      HistoryBuffer)
    assert registered() == before
    with pytest.raises(pickle.UnpicklingError):
        torch.load(ckpt, weights_only=True)


def test_only_history_buffer_methods_may_be_fetched_by_getattr(tmp_path):
    from mmengine.logging import HistoryBuffer

    from mixedae_mm.utils import load_local_checkpoint

    class Getattr:

        def __reduce__(self):
            return (getattr, (HistoryBuffer, '__init__'))

    path = str(tmp_path / 'getattr.pth')
    torch.save({'meta': Getattr()}, path)
    with pytest.raises(pickle.UnpicklingError, match='__init__'):
        load_local_checkpoint(path)


def _epoch_cfg(work, image_root, max_epochs, **overrides):
    cfg = tiny_runner_cfg(work, image_root, **overrides)
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
    cfg.train_dataloader.batch_size = 8
    cfg.train_dataloader.dataset.times = 1
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=1, by_epoch=True)
    return cfg


@pytest.mark.slow
@pytest.mark.parametrize('loop', ['iter', 'epoch'])
def test_every_runner_checkpoint_loads_and_resumes(loop, tmp_path,
                                                   image_root, monkeypatch):
    """Epoch and iteration loops, RNG hook state, and an AMP loss scaler's
    state (AmpOptimWrapper needs a GPU: a real GradScaler's state is put in
    its place), all load with weights_only=True and resume."""
    from mixedae_mm.utils import TRUST_ENV, load_local_checkpoint
    monkeypatch.delenv(TRUST_ENV, raising=False)
    first = str(tmp_path / 'first')
    if loop == 'iter':
        cfg = tiny_runner_cfg(first, image_root, max_iters=2)
        ckpt, more = osp.join(first, 'iter_2.pth'), dict(max_iters=3)
    else:
        cfg = _epoch_cfg(first, image_root, 1)
        ckpt, more = osp.join(first, 'epoch_1.pth'), dict(max_epochs=2)
    Runner.from_cfg(cfg).train()
    state = load_local_checkpoint(ckpt)
    assert state['meta']['rng_state']['world_size'] == 1
    scaler = torch.amp.GradScaler('cpu', init_scale=2.**10)
    scaler.scale(torch.ones(()))  # initialises the scale tensor
    state['optimizer']['loss_scaler'] = scaler.state_dict()
    torch.save(state, ckpt)
    unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(ckpt)
    assert unsafe, 'the Runner checkpoint needs the allow-list'

    second = str(tmp_path / 'second')
    if loop == 'iter':
        cfg = tiny_runner_cfg(second, image_root, resume=True, load_from=ckpt)
    else:
        cfg = _epoch_cfg(second, image_root, 2, resume=True, load_from=ckpt)
    cfg.train_cfg.update(more)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert (runner.iter, runner.epoch) == ((3, 0) if loop == 'iter' else
                                           (4, 2))
    loaded = load_local_checkpoint(ckpt)
    assert loaded['optimizer']['loss_scaler']['scale'] == 2.**10
