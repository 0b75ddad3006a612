"""mmengine 0.10.7 resume and init_cfg=Pretrained with the allow-list
loader: every checkpoint our Runner writes loads and resumes, on torch >= 2.6
and through the restricted unpickler of older torch, and resume never
executes a checkpoint's ``meta['config']``.  Crafted and broken files:
``test_checkpoint_safety.py``."""
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


def _resume(trained, work_dir, image_root, max_iters):
    """Resume ``trained``'s checkpoint up to ``max_iters``; the message hub
    must come back (the first 2 losses are the first run's)."""
    first, ckpt = trained
    cfg = tiny_runner_cfg(str(work_dir), image_root, max_iters=max_iters,
                          resume=True, load_from=ckpt)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == max_iters
    history = runner.message_hub.get_scalar('train/loss').data[0]
    first_history = first.message_hub.get_scalar('train/loss').data[0]
    assert len(history) == max_iters
    assert history[:2].tolist() == first_history.tolist()
    return runner


def _assert_pretrained_loads(trained, tiny_model_cfg):
    """``init_cfg=dict(type='Pretrained')`` gives the trained weights."""
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


def test_resume_continues_from_the_checkpoint(trained, tmp_path, image_root):
    runner = _resume(trained, tmp_path, image_root, max_iters=4)
    # and so did the optimizer: AdamW has taken 4 steps in all
    state = runner.optim_wrapper.optimizer.state
    steps = {int(s['step']) for s in state.values()}
    assert steps == {4}


def test_pretrained_init_cfg_loads_the_weights(trained, tiny_model_cfg):
    _assert_pretrained_loads(trained, tiny_model_cfg)


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


def test_older_torch_loads_and_resumes_without_the_switch(
        trained, tmp_path, image_root, tiny_model_cfg, monkeypatch):
    """torch 2.0 - 2.5 (no safe-globals API, taken here by hiding it): the
    restricted unpickler loads the Runner's checkpoint for --resume and
    Pretrained with no switch, and nothing is unpickled unrestricted."""
    from mixedae_mm.utils import TRUST_ENV, restricted_unpickler
    monkeypatch.delattr(torch.serialization,
                        'get_unsafe_globals_in_checkpoint')
    monkeypatch.delenv(TRUST_ENV, raising=False)
    calls = []
    load = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return load(*args, **kwargs)

    monkeypatch.setattr(torch, 'load', spy)
    _resume(trained, tmp_path, image_root, max_iters=3)
    _assert_pretrained_loads(trained, tiny_model_cfg)
    assert calls and all(
        call['pickle_module'] is restricted_unpickler and
        call['weights_only'] is False for call in calls), calls


def _with_meta_config(ckpt, path, command):
    """The Runner's checkpoint, with ``meta['config']`` set to Python that
    runs ``command``: what mmengine's resume would execute."""
    from mixedae_mm.utils import load_local_checkpoint
    state = load_local_checkpoint(ckpt)
    state['meta']['config'] = f'__import__("os").system({command!r})\n'
    torch.save(state, path)


def test_resume_never_executes_the_config_of_a_checkpoint(
        trained, tmp_path, image_root, capsys):
    """A genuine checkpoint with a command in ``meta['config']`` (plain data
    to the unpickler): the resume drops it, says so, runs nothing, and
    continues the run."""
    _, ckpt = trained
    marker = tmp_path / 'pwned'
    crafted = str(tmp_path / 'crafted.pth')
    _with_meta_config(ckpt, crafted, f'touch {marker}')
    cfg = tiny_runner_cfg(str(tmp_path / 'work'), image_root, max_iters=3,
                          resume=True, load_from=crafted)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert not marker.exists()
    assert runner.iter == 3
    out = capsys.readouterr().out
    assert "Dropped meta['config'] of " + crafted in out
    # mmengine's own copy of the config, which resume does not execute,
    # stays
    from mixedae_mm.utils import load_local_checkpoint
    meta = load_local_checkpoint(crafted)['meta']
    assert 'config' not in meta and 'model = dict(' in meta['cfg']


def test_other_schemes_drop_the_config_too(monkeypatch):
    """https://, open-mmlab:// ... keep mmengine's loaders, wrapped so that
    what they load has no ``meta['config']`` either."""
    from mmengine.runner import CheckpointLoader

    from mixedae_mm.utils import register_checkpoint_loader
    monkeypatch.setattr(CheckpointLoader, '_schemes',
                        dict(CheckpointLoader._schemes))

    def load_from_h18(filename, map_location=None):
        return {'meta': {'config': 'import os', 'cfg': 'a = 1'}}

    CheckpointLoader.register_scheme('h18://', load_from_h18)
    register_checkpoint_loader()
    loaded = CheckpointLoader.load_checkpoint('h18://x.pth')
    assert loaded['meta'] == {'cfg': 'a = 1'}
    # every scheme mmengine registers is wrapped, the local one is ours
    for prefix, loader in CheckpointLoader._schemes.items():
        if prefix:
            assert loader.drops_executable_config, prefix
    register_checkpoint_loader()  # idempotent: no double wrapping
    assert CheckpointLoader._schemes['h18://'].__wrapped__ is load_from_h18


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
