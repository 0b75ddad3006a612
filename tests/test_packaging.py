"""The package as users install it: ranges not pins, configs inside.

One wheel is built (module fixture) the way a release is: the checkout's
files (tracked and new, nothing ignored) copied to a clean folder, an sdist
made there with setup.py, and the wheel built from that sdist.  Then:

- its metadata states ranges and no exact pins;
- it carries the configs, tools and model-index.yml under .mim/;
- ``pip install --dry-run`` into an environment with an *older* stack
  inside the ranges installs nothing but mixedae-mm; one outside the
  ranges is refused, naming the requirement;
- installed into a scratch environment that reuses this venv's stack, it
  changes no version, imports from its own site-packages and finds its
  configs by package path (``mixedae_mm::``) as mm* packages do.
"""
import importlib.metadata as md
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from conftest import ROOT

pytestmark = pytest.mark.slow

#: The stack pip must leave alone.
STACK = ('torch', 'numpy', 'mmengine', 'mmcv', 'mmpretrain',
         'mmsegmentation', 'mmdet')
#: An older stack inside the ranges of requirements/runtime.txt.
OLDER_STACK = dict(
    torch='2.0.1',
    numpy='1.24.4',
    mmengine='0.8.4',
    mmcv='2.0.1',
    mmpretrain='1.0.0',
    mmsegmentation='1.0.0',
    mmdet='3.0.0',
    ftfy='6.1.1',
    regex='2023.6.3',
    safetensors='0.4.0',
    tensorboard='2.14.0')
OLDER_STACK['scikit-image'] = '0.21.0'
TINY = 'mixedae/mixedae_vit-tiny-p8_1xb16-60i_demo-64px.py'


def _run(cmd, **kwargs):
    out = subprocess.run(
        cmd, capture_output=True, text=True, timeout=600, **kwargs)
    assert out.returncode == 0, (f'{cmd} failed:\n{out.stdout[-3000:]}\n'
                                 f'{out.stderr[-3000:]}')
    return out


def _pip(*args, **kwargs):
    # no pip configuration of this machine (its wheel folders, indexes and
    # constraints): only the wheel under test and the installed packages
    env = {k: v for k, v in os.environ.items() if not k.startswith('PIP_')}
    env['PIP_CONFIG_FILE'] = os.devnull
    return subprocess.run(
        [sys.executable, '-m', 'pip', '--disable-pip-version-check',
         '--no-input', *args],
        capture_output=True, text=True, timeout=600, env=env, **kwargs)


def _scratch_venv(path) -> str:
    """A venv without pip (pip runs from here with --python)."""
    _run([sys.executable, '-m', 'venv', '--without-pip', str(path)])
    return str(path / 'bin' / 'python')


def _site_packages(python: str) -> str:
    return _run([python, '-c', 'import sysconfig; '
                 'print(sysconfig.get_paths()["purelib"])']).stdout.strip()


def _fake_dist(site: str, name: str, version: str) -> None:
    """Metadata of an installed distribution, which is all pip's resolver
    reads (no code: nothing here is imported)."""
    info = osp.join(site, f'{name.replace("-", "_")}-{version}.dist-info')
    os.makedirs(info)
    with open(osp.join(info, 'METADATA'), 'w') as f:
        f.write(f'Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n')
    with open(osp.join(info, 'INSTALLER'), 'w') as f:
        f.write('pip\n')
    open(osp.join(info, 'RECORD'), 'w').close()


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    """clean copy of the checkout -> sdist -> wheel."""
    # a precondition, not an option: a CI that built from an archive would
    # otherwise pass without ever building the wheel
    if shutil.which('git') is None:
        pytest.fail('test_packaging needs git on PATH (it lists the '
                    "checkout's files with git ls-files); install git.")
    if not osp.exists(osp.join(ROOT, '.git')):
        pytest.fail(f'test_packaging needs a git checkout, but {ROOT} has no '
                    '.git: it tells the files of a release from build '
                    'outputs with git ls-files. Run the suite in a git '
                    'clone, not in an unpacked archive.')
    tmp = tmp_path_factory.mktemp('build')
    files = _run(['git', 'ls-files', '-co', '--exclude-standard', '-z'],
                 cwd=ROOT).stdout.split('\0')
    src = tmp / 'src'
    for name in filter(None, files):
        if osp.isfile(osp.join(ROOT, name)):
            os.makedirs(src / osp.dirname(name), exist_ok=True)
            shutil.copy2(osp.join(ROOT, name), src / name)
    _run([sys.executable, 'setup.py', '-q', 'sdist', '-d', str(tmp / 'sdist')],
         cwd=src)
    sdist, = (tmp / 'sdist').iterdir()
    out = _pip('wheel', '--no-deps', '--no-build-isolation', '--no-index',
               '-w', str(tmp / 'dist'), str(sdist))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    wheel_file, = (tmp / 'dist').glob('mixedae_mm-*.whl')
    return str(wheel_file)


def _requires(wheel_file):
    with zipfile.ZipFile(wheel_file) as zf:
        name = next(n for n in zf.namelist()
                    if n.endswith('.dist-info/METADATA'))
        metadata = zf.read(name).decode()
    return [
        Requirement(line.split(':', 1)[1].strip())
        for line in metadata.splitlines() if line.startswith('Requires-Dist:')
    ]


def test_metadata_states_ranges_not_pins(wheel):
    requires = {r.name: r for r in _requires(wheel) if not r.marker}
    for req in requires.values():
        assert not any(s.operator in ('==', '===') for s in req.specifier), \
            req
    assert set(STACK) <= set(requires)
    assert str(requires['torch'].specifier) == '>=2.0'
    # the tested pins lie inside the ranges, the older stack too
    pins = dict(
        line.split('#')[0].strip().split('==')
        for line in open(osp.join(ROOT, 'requirements', 'constraints.txt'))
        if '==' in line.split('#')[0])
    for name, version in list(pins.items()) + list(OLDER_STACK.items()):
        if name in requires:
            assert Version(version) in requires[name].specifier, (name,
                                                                  version)
    assert Version('2.2.0') not in requires['mmcv'].specifier
    assert Version('1.13.1') not in requires['torch'].specifier


def test_wheel_ships_configs_tools_and_model_index(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    configs = _run(['git', 'ls-files', 'configs'], cwd=ROOT).stdout.split()
    assert configs
    for name in configs + ['model-index.yml', 'tools/train.py',
                           'tools/dist_train.sh']:
        assert f'mixedae_mm/.mim/{name}' in names, name
    assert not any(n.startswith('tests/') for n in names)
    assert not any('__pycache__' in n for n in names)


def _dry_run(python, wheel):
    report = osp.join(osp.dirname(python), 'report.json')
    out = _pip('--python', python, 'install', '--dry-run', '--no-index',
               '--find-links', osp.dirname(wheel), '--report', report,
               'mixedae-mm')
    installs = None
    if out.returncode == 0:
        with open(report) as f:
            installs = [item['metadata']['name']
                        for item in json.load(f)['install']]
    return out, installs


def test_older_stack_in_range_is_left_alone(wheel, tmp_path):
    python = _scratch_venv(tmp_path / 'older')
    site = _site_packages(python)
    for name, version in OLDER_STACK.items():
        _fake_dist(site, name, version)
    out, installs = _dry_run(python, wheel)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert installs == ['mixedae-mm']


@pytest.mark.parametrize('name,version', [('torch', '1.13.1'),
                                          ('mmcv', '2.2.0')])
def test_stack_out_of_range_is_refused(wheel, tmp_path, name, version):
    python = _scratch_venv(tmp_path / 'outside')
    site = _site_packages(python)
    for other, other_version in OLDER_STACK.items():
        _fake_dist(site, other, version if other == name else other_version)
    out, _ = _dry_run(python, wheel)
    # with no index the only way out is to keep the installed version,
    # which the range rejects: pip names the requirement
    assert out.returncode != 0
    text = out.stdout + out.stderr
    assert re.search(rf'requirement {name}[<>=,.0-9]+ \(from mixedae-mm\)',
                     text), text[-2000:]


def test_installed_wheel_reuses_the_stack_and_finds_its_configs(
        wheel, tmp_path):
    # a scratch venv that sees this venv's packages (not its editable
    # mixedae-mm): an overlay of symbolic links, put on sys.path by a .pth
    here = sysconfig.get_paths()['purelib']
    overlay = tmp_path / 'overlay'
    overlay.mkdir()
    for entry in os.listdir(here):
        if (entry.startswith(('mixedae', '__editable__'))
                or entry.endswith('.pth')):
            continue
        os.symlink(osp.join(here, entry), overlay / entry)
    python = _scratch_venv(tmp_path / 'user')
    site = _site_packages(python)
    with open(osp.join(site, 'stack.pth'), 'w') as f:
        f.write(str(overlay) + '\n')

    versions = ('import importlib.metadata as md, json; print(json.dumps('
                f'{{n: md.version(n) for n in {STACK!r}}}))')
    before = json.loads(_run([python, '-c', versions]).stdout)
    assert before == {n: md.version(n) for n in STACK}

    report = tmp_path / 'report.json'
    out = _pip('--python', python, 'install', '--no-index', '--find-links',
               osp.dirname(wheel), '--report', str(report), 'mixedae-mm')
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    installed = [i['metadata']['name'] for i in json.loads(
        report.read_text())['install']]
    assert installed == ['mixedae-mm']
    assert json.loads(_run([python, '-c', versions]).stdout) == before

    code = textwrap.dedent(f'''
        import os.path as osp
        import mixedae_mm
        from mmengine.hub import get_config
        from mixedae_mm.utils import config_path
        print(osp.dirname(mixedae_mm.__file__))
        # in the model index (metafile.yml): found through it
        cfg = get_config(
            'mixedae_mm::mixedae/mixedae_vit-base-p16_8xb512-amp-coslr-'
            '300e_in1k.py')
        print(cfg.filename, cfg.model.type, cfg.model.backbone.arch)
        # not in the index: found under .mim/configs
        cfg = get_config('mixedae_mm::{TINY}')
        print(cfg.filename, cfg.model.type)
        # the helper, for a path to give to tools/train.py
        print(config_path('mixedae_mm::{TINY}'))
        ''')
    out = _run([python, '-c', code], cwd=str(tmp_path))
    package, base, tiny, helper = out.stdout.strip().splitlines()[-4:]
    assert package == osp.join(site, 'mixedae_mm')
    mim = osp.join(package, '.mim', 'configs')
    assert base.split() == [
        osp.join(mim, 'mixedae',
                 'mixedae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py'),
        'MixedAE', 'b'
    ]
    assert tiny.split() == [osp.join(mim, TINY), 'MixedAE']
    assert helper == osp.join(mim, TINY)
