"""A checkpoint is data: what crafted and broken files get from the local
checkpoint loader, on torch's weights-only path (torch >= 2.6) and on the
restricted unpickler of torch < 2.6 (taken here on today's torch by hiding
the safe-globals API)."""
import os
import pickle
import re
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch

from conftest import ROOT


@pytest.fixture(params=['torch', 'restricted'])
def loader_path(request, monkeypatch):
    """Which unpickler the loader takes; the trust switch is off."""
    from mixedae_mm.utils import TRUST_ENV
    monkeypatch.delenv(TRUST_ENV, raising=False)
    if request.param == 'restricted':
        monkeypatch.delattr(torch.serialization,
                            'get_unsafe_globals_in_checkpoint')
    return request.param


class _WritesAFile:
    """Unpickling this calls ``os.system``: the attack being refused."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f'touch {self.path}', ))


class Harmless:
    """A class outside the allow-list that runs no code."""

    def __init__(self, value=3):
        self.value = value

    def __eq__(self, other):
        return isinstance(other, Harmless) and other.value == self.value


def _system_names():
    return ('posix.system', 'nt.system', 'os.system')


@pytest.mark.parametrize('zip_format', [True, False])
def test_code_in_a_checkpoint_is_refused_and_named(tmp_path, loader_path,
                                                   zip_format):
    """Zip and legacy (non-zip) files alike: refused before anything runs,
    with the global named and the one switch that opts in."""
    from mixedae_mm.utils import (TRUST_ENV, UnsafeCheckpointError,
                                  load_local_checkpoint)
    marker = tmp_path / 'pwned'
    path = str(tmp_path / 'crafted.pth')
    torch.save({'state_dict': {}, 'meta': _WritesAFile(marker)}, path,
               _use_new_zipfile_serialization=zip_format)
    with pytest.raises(UnsafeCheckpointError) as error:
        load_local_checkpoint(path)
    assert not marker.exists()
    message = str(error.value)
    assert any(f'the global {name}' in message for name in _system_names())
    assert f'{TRUST_ENV}=1' in message and 'crafted.pth' in message


def test_mmengine_loader_refuses_it_too(tmp_path, loader_path):
    """What --resume and init_cfg=Pretrained call: mmengine's loader."""
    from mmengine.runner import CheckpointLoader

    from mixedae_mm.utils import TRUST_ENV
    marker = tmp_path / 'pwned'
    path = str(tmp_path / 'crafted.pth')
    torch.save({'state_dict': _WritesAFile(marker)}, path)
    with pytest.raises(pickle.UnpicklingError, match=TRUST_ENV):
        CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert not marker.exists()


def test_the_switch_loads_a_trusted_file(tmp_path, loader_path, monkeypatch):
    from mixedae_mm.utils import (TRUST_ENV, UnsafeCheckpointError,
                                  load_local_checkpoint)
    path = str(tmp_path / 'custom.pth')
    torch.save({'meta': Harmless(5)}, path)
    with pytest.raises(UnsafeCheckpointError,
                       match=r'test_checkpoint_safety\.Harmless'):
        load_local_checkpoint(path)
    monkeypatch.setenv(TRUST_ENV, '1')
    assert load_local_checkpoint(path)['meta'] == Harmless(5)


def test_only_history_buffer_methods_may_be_fetched_by_getattr(
        tmp_path, loader_path):
    from mmengine.logging import HistoryBuffer

    from mixedae_mm.utils import UnsafeCheckpointError, load_local_checkpoint

    class Getattr:

        def __reduce__(self):
            return (getattr, (HistoryBuffer, '__init__'))

    path = str(tmp_path / 'getattr.pth')
    torch.save({'meta': Getattr()}, path)
    with pytest.raises(UnsafeCheckpointError, match='__init__'):
        load_local_checkpoint(path)



def test_a_method_fetched_by_getattr_cannot_be_called(tmp_path, loader_path):
    """``getattr(HistoryBuffer, 'mean')`` is allowed data, calling it is
    not: refused (no global to name), with the trust advice."""
    from mmengine.logging import HistoryBuffer

    from mixedae_mm.utils import (TRUST_ENV, UnsafeCheckpointError,
                                  load_local_checkpoint)

    class CallMean:

        def __reduce__(self):
            return (HistoryBuffer.mean, (HistoryBuffer(), ))

    path = str(tmp_path / 'call.pth')
    torch.save({'meta': CallMean()}, path)
    with pytest.raises(UnsafeCheckpointError,
                       match=r'(call reduce|calling) .*HistoryBuffer\.mean'
                       ) as error:
        load_local_checkpoint(path)
    assert f'{TRUST_ENV}=1' in str(error.value)

# ------------------------------------------------------------------ numpy
class _ForgedDType:
    """Pickles as numpy's dtype with a state numpy never writes."""

    def __init__(self, code='f8', flags=0, names=None):
        self.code, self.flags, self.names = code, flags, names

    def __reduce__(self):
        return (np.dtype, (self.code, False, True),
                (3, '<', None, self.names, None, -1, -1, self.flags))


class _ForgedArray:
    """Pickles as numpy's ``_reconstruct`` + ``__setstate__`` with any dtype
    object and bytes."""

    def __init__(self, dtype, data=b'\x41' * 8, shape=(1, )):
        self.dtype, self.data, self.shape = dtype, data, shape

    def __reduce__(self):
        reconstruct, args, _ = np.zeros(0).__reduce__()
        return (reconstruct, args,
                (1, self.shape, self.dtype, False, self.data))


class _ForgedScalar:
    """Pickles as numpy's ``scalar(dtype, bytes)`` with any dtype object."""

    def __init__(self, dtype, data=b'\x41' * 8):
        self.dtype, self.data = dtype, data

    def __reduce__(self):
        return (np.float64(0).__reduce__()[0], (self.dtype, self.data))


# The probe loads each file in a fresh process, then deep-copies it as
# MessageHub.load_state_dict does: a forged dtype that got through makes
# numpy read the file's bytes 0x4141... as a pointer, and the process dies.
_PROBE = r'''
import copy, sys
import numpy as np, torch
import mixedae_mm
from mixedae_mm.utils import load_local_checkpoint
mode = sys.argv[1]
if mode == 'restricted':
    del torch.serialization.get_unsafe_globals_in_checkpoint
if mode == 'numpy-registered':  # someone else allowed numpy's own dtype
    torch.serialization.add_safe_globals(
        [np.dtype, type(np.dtype('f8')), np.zeros(0).__reduce__()[0]])
for path in sys.argv[2:]:
    try:
        copy.deepcopy(load_local_checkpoint(path))
        print('LOADED', path, flush=True)
    except Exception as error:
        print('REFUSED', path, type(error).__name__,
              ' '.join(str(error).split()), flush=True)
'''


@pytest.mark.parametrize('mode', ['torch', 'restricted', 'numpy-registered'])
def test_forged_numpy_dtype_is_refused_without_a_crash(tmp_path, mode):
    """The issue's attack: a dtype whose state says "object pointers"
    (flags=1), in an array and in a scalar of the message hub; and a dtype
    with fields. Each is refused with a clear error, in a subprocess so a
    crash shows as a failure."""
    forged = {
        'array': _ForgedArray(_ForgedDType(flags=1)),
        'scalar': _ForgedScalar(_ForgedDType(flags=1)),
        'fields': _ForgedArray(_ForgedDType(names=('a', ))),
    }
    paths = []
    for name, obj in forged.items():
        path = str(tmp_path / f'{name}.pth')
        torch.save({'message_hub': {'runtime_info': {'x': obj}}}, path)
        paths.append(path)
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env.pop('MIXEDAE_TRUST_CHECKPOINTS', None)
    run = subprocess.run([sys.executable, '-c', _PROBE, mode] + paths,
                         cwd=ROOT, capture_output=True, text=True, env=env,
                         timeout=300)
    assert run.returncode == 0, (run.returncode, run.stdout,
                                 run.stderr[-2000:])
    lines = run.stdout.strip().splitlines()
    assert len(lines) == 3, run.stdout
    for path, line in zip(paths, lines):
        assert line.startswith(f'REFUSED {path} UnsafeCheckpointError'), line
        assert "numpy dtype '<f8' with state (3, '<', None" in line, line
        assert 'MIXEDAE_TRUST_CHECKPOINTS=1' in line


@pytest.mark.parametrize('forged', [
    _ForgedArray(_ForgedDType('O8')),
    _ForgedArray(_ForgedDType('V8')),
    _ForgedArray(_ForgedDType('f8,i8')),
    _ForgedArray(_ForgedDType(), data=b'\x00' * 8, shape=(1000, )),
    _ForgedScalar(_ForgedDType(), data=b'\x00' * 3),
    _ForgedScalar(np.float64(1.0)),
    np.ma.masked_array([1.0, 2.0]),
], ids=['object', 'void', 'structured', 'short-bytes', 'short-scalar',
        'scalar-as-dtype', 'subclass'])
def test_other_numpy_forgeries_are_refused(tmp_path, loader_path, forged):
    """Never handed to numpy's own ``__setstate__``: safe to load here."""
    from mixedae_mm.utils import UnsafeCheckpointError, load_local_checkpoint
    path = str(tmp_path / 'forged.pth')
    torch.save({'message_hub': {'x': forged}}, path)
    with pytest.raises(UnsafeCheckpointError, match='numpy'):
        load_local_checkpoint(path)


@pytest.mark.parametrize('zip_format', [True, False], ids=['zip', 'legacy'])
def test_numpy_objects_of_genuine_checkpoints_round_trip(tmp_path,
                                                         loader_path,
                                                         zip_format):
    """What message hubs and dataset metas hold: numpy scalars of every
    plain kind, and arrays C- and F-ordered, big-endian, 0-d and empty --
    rebuilt equal, with their dtype, type and memory order; in torch's zip
    format and its legacy one."""
    from mmengine.logging import HistoryBuffer

    from mixedae_mm.utils import load_local_checkpoint
    buffer = HistoryBuffer()
    for value in (1.5, 2.5, 4.0):
        buffer.update(value)
    values = {
        'f8': np.float64(0.1), 'f4': np.float32(-2.5), 'i8': np.int64(-7),
        'u1': np.uint8(200), 'b1': np.bool_(True), 'c8': np.complex64(1j),
        'U': np.str_('mixed'), 'S': np.bytes_(b'ae'),
        'C': np.arange(6, dtype=np.int32).reshape(2, 3),
        'F': np.asfortranarray(np.arange(6.).reshape(2, 3)),
        'big': np.arange(3, dtype='>f4'), '0d': np.array(3.25),
        'empty': np.zeros((0, 4), dtype=np.float16),
        'strings': np.array(['a', 'bcd']),
    }
    path = str(tmp_path / 'numpy.pth')
    torch.save({'message_hub': {'log_scalars': {'loss': buffer},
                                'runtime_info': values}}, path,
               _use_new_zipfile_serialization=zip_format)
    loaded = load_local_checkpoint(path)['message_hub']
    for key, value in values.items():
        got = loaded['runtime_info'][key]
        assert type(got) is type(value), key
        assert got.dtype == value.dtype and got.dtype.str == value.dtype.str
        assert np.array_equal(got, value), key
        if isinstance(value, np.ndarray):
            assert got.shape == value.shape
            assert got.flags.f_contiguous == value.flags.f_contiguous
            assert got.flags.writeable
    history = loaded['log_scalars']['loss']
    assert type(history) is HistoryBuffer
    assert history.data[0].tolist() == [1.5, 2.5, 4.0]
    assert history.mean() == pytest.approx(8 / 3)


def test_no_numpy_object_is_on_the_allow_list():
    """numpy names map to stand-ins, never to numpy's own callables."""
    from mixedae_mm.utils import checkpoint_safe_globals
    entries = checkpoint_safe_globals()
    named = {name: obj for obj, name in
             (e for e in entries if isinstance(e, tuple))}
    assert 'numpy.dtype' in named and \
        'numpy.core.multiarray._reconstruct' in named
    for entry in entries:
        obj = entry[0] if isinstance(entry, tuple) else entry
        assert not getattr(obj, '__module__', '').startswith('numpy'), entry


# ------------------------------------------------------ not a checkpoint
def _random(path):
    path.write_bytes(np.random.default_rng(0).bytes(4096))


def _plain_pickle(path):
    with open(path, 'wb') as f:
        pickle.dump({'state_dict': {'w': [1.0, 2.0]}}, f)


def _empty(path):
    path.write_bytes(b'')


def _other_zip(path):
    with zipfile.ZipFile(path, 'w') as archive:
        archive.writestr('readme.txt', 'not a checkpoint')


def _protocol_4(path):
    torch.save({'w': torch.ones(2)}, path, pickle_protocol=4)


def _truncated(path):
    torch.save({'w': torch.ones(1000)}, path)
    path.write_bytes(path.read_bytes()[:1500])


def _legacy_truncated(path):
    torch.save({'w': torch.ones(1000)}, path,
               _use_new_zipfile_serialization=False)
    path.write_bytes(path.read_bytes()[:200])


@pytest.mark.parametrize('write,why', [
    (_random, 'neither a zip archive written by torch.save nor a legacy'),
    (_plain_pickle, 'neither a zip archive written by torch.save nor'),
    (_empty, 'the file is empty'),
    (_other_zip, 'a zip archive without the data.pkl of torch.save'),
    (_protocol_4, r'opcode FRAME \(pickle protocol 4\)'),
    (_truncated, ''),
    (_legacy_truncated, ''),
], ids=['random', 'plain-pickle', 'empty', 'other-zip', 'protocol-4',
        'truncated', 'legacy-truncated'])
def test_a_file_that_is_no_checkpoint_is_called_so(tmp_path, loader_path,
                                                   monkeypatch, write, why):
    """"not a valid checkpoint: <path>", never the trust advice (setting
    the switch changes nothing), never a bare EOFError."""
    from mixedae_mm.utils import (TRUST_ENV, InvalidCheckpointError,
                                  load_local_checkpoint)
    path = tmp_path / 'broken.pth'
    write(path)
    for trusted in (False, True):
        if trusted:
            monkeypatch.setenv(TRUST_ENV, '1')
        with pytest.raises(InvalidCheckpointError) as error:
            load_local_checkpoint(str(path))
        message = str(error.value)
        assert message.startswith(f'not a valid checkpoint: {path} (')
        assert TRUST_ENV not in message
        assert why == '' or re.search(why, message), message


def test_restricted_path_needs_only_torchs_tensor_globals(tmp_path,
                                                          monkeypatch):
    """torch 2.0's weights-only list lacks some of today's entries; the
    restricted unpickler brings what mmengine checkpoints need besides
    tensors itself (OrderedDict, Counter, the latin1 bytes codec), and no
    other codec."""
    from collections import Counter, OrderedDict

    import torch._weights_only_unpickler as weights_only

    from mixedae_mm.utils import UnsafeCheckpointError, load_local_checkpoint
    everything = weights_only._get_allowed_globals()
    monkeypatch.setattr(
        weights_only, '_get_allowed_globals', lambda: {
            name: obj for name, obj in everything.items()
            if name.startswith('torch.')
        })
    monkeypatch.delattr(torch.serialization,
                        'get_unsafe_globals_in_checkpoint')
    state = {
        'param_schedulers': [{'milestones': Counter({3: 1, 5: 1})}],
        'state_dict': OrderedDict(w=torch.arange(3.)),
        'meta': {'raw': b'\x00\xffab', 'seen': np.arange(2)},
    }
    path = str(tmp_path / 'old.pth')
    torch.save(state, path)
    loaded = load_local_checkpoint(path)
    assert loaded['param_schedulers'][0]['milestones'] == Counter({3: 1,
                                                                   5: 1})
    assert type(loaded['state_dict']) is OrderedDict
    assert torch.equal(loaded['state_dict']['w'], torch.arange(3.))
    assert loaded['meta']['raw'] == b'\x00\xffab'
    assert loaded['meta']['seen'].tolist() == [0, 1]

    import codecs

    class Rot13:

        def __reduce__(self):
            return (codecs.encode, ('payload', 'rot13'))

    torch.save({'meta': Rot13()}, path)
    with pytest.raises(UnsafeCheckpointError, match='only latin1'):
        load_local_checkpoint(path)
