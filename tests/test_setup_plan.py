"""tools/setup_env.sh --print-plan: the set-up's decisions for CPU and CUDA
hosts, on this CPU machine.

The host is simulated: fake ``nvcc`` / ``nproc`` / ``id`` programs first on
PATH, MIXEDAE_TORCH_CUDA and MIXEDAE_GPU_ARCHS for what torch would report,
a fake /proc/meminfo, a scratch venv path and wheel cache.  --print-plan
only reads: nothing is installed or built.
"""
import os
import os.path as osp
import platform
import subprocess
import sys

import pytest

from conftest import ROOT

SCRIPT = osp.join(ROOT, 'tools', 'setup_env.sh')
PY_TAG = f'cp{sys.version_info[0]}{sys.version_info[1]}'
KEY = 'mmcv-2.1.0-torch2.14.1-{flavour}-' + PY_TAG + '-' + platform.machine()


def _program(folder, name, text):
    path = osp.join(folder, name)
    with open(path, 'w') as f:
        f.write('#!/bin/sh\n' + text + '\n')
    os.chmod(path, 0o755)


@pytest.fixture
def host(tmp_path):
    """Run the plan on a simulated host; returns (rc, plan dict, text)."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()

    def run(torch_cuda='none',
            gpus='',
            nvcc=None,
            cores=16,
            mem_gib=64,
            uid=0,
            fashion_mnist=True,
            extra_env=None,
            args=('--print-plan', )):
        for name in ('nvcc', 'nproc', 'id'):
            if (bin_dir / name).exists():
                (bin_dir / name).unlink()
        if nvcc:
            _program(bin_dir, 'nvcc',
                     f'echo "Cuda compilation tools, release {nvcc}, V{nvcc}'
                     '.1"')
        _program(bin_dir, 'nproc', f'echo {cores}')
        _program(bin_dir, 'id', f'echo {uid}')
        (tmp_path / 'meminfo').write_text(
            f'MemTotal: {2 * mem_gib * 1048576} kB\n'
            f'MemAvailable: {mem_gib * 1048576} kB\n')
        data = tmp_path / 'train-images-idx3-ubyte.gz'
        if fashion_mnist:
            data.write_bytes(b'')
        elif data.exists():
            data.unlink()
        env = dict(
            PATH=f'{bin_dir}:/usr/bin:/bin',
            HOME=str(tmp_path),
            PYTHON=sys.executable,
            MIXEDAE_VENV=str(tmp_path / 'venv'),
            MIXEDAE_CACHE=str(tmp_path / 'cache'),
            MIXEDAE_MEMINFO=str(tmp_path / 'meminfo'),
            MIXEDAE_FASHION_MNIST=str(data),
            MIXEDAE_TORCH_CUDA=torch_cuda,
            MIXEDAE_GPU_ARCHS=gpus)
        env.update(extra_env or {})
        out = subprocess.run(['bash', SCRIPT, *args],
                             env=env,
                             capture_output=True,
                             text=True,
                             timeout=60)
        plan = dict(
            line.split(': ', 1) for line in out.stdout.splitlines()
            if ': ' in line)
        return out.returncode, plan, out.stdout + out.stderr

    run.bin_dir = str(bin_dir)
    run.cache = str(tmp_path / 'cache')
    return run


def test_cpu_host_builds_cpu_ops_with_one_job_a_core(host):
    rc, plan, text = host(torch_cuda='none', cores=16, mem_gib=64)
    assert rc == 0, text
    assert plan['mmcv_flavour'] == 'cpu'
    assert plan['mmcv_build'] == 'MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=16'
    assert plan['max_jobs'].startswith('16 (16 cores, 64 GiB available')
    assert plan['mmcv_wheel'] == ('to build into ' + osp.join(
        host.cache, 'wheels', KEY.format(flavour='cpu')))
    assert plan['venv'].endswith('(to create)')
    assert plan['stamp'] == 'missing'


def test_cuda_host_builds_cuda_ops_for_its_gpus(host):
    rc, plan, text = host(
        torch_cuda='12.8', gpus='8.0;9.0', nvcc='12.8', cores=16, mem_gib=20)
    assert rc == 0, text
    assert plan['mmcv_flavour'] == 'cu128'
    # CUDA compiles take more memory: 4 GiB a job, so 5 of the 16 cores
    assert plan['mmcv_build'] == (
        'MMCV_WITH_OPS=1 FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST=8.0;9.0 '
        f'CUDA_HOME={osp.dirname(host.bin_dir)} MAX_JOBS=5')
    assert plan['max_jobs'] == '5 (16 cores, 20 GiB available, 4 GiB a job)'
    assert plan['nvcc'].startswith(osp.join(host.bin_dir, 'nvcc'))
    assert plan['mmcv_wheel'].endswith(KEY.format(flavour='cu128-sm80_90'))


def test_a_cached_cpu_wheel_is_never_taken_for_cuda_ops(host):
    cpu_dir = osp.join(host.cache, 'wheels', KEY.format(flavour='cpu'))
    os.makedirs(cpu_dir)
    open(osp.join(cpu_dir, 'mmcv-2.1.0-cp311-cp311-linux_x86_64.whl'),
         'w').close()
    rc, plan, _ = host(torch_cuda='none')
    assert plan['mmcv_wheel'] == f'cached in {cpu_dir}'
    rc, plan, _ = host(torch_cuda='12.8', gpus='9.0', nvcc='12.8')
    assert plan['mmcv_wheel'].startswith('to build into ')
    assert plan['mmcv_wheel'].endswith(KEY.format(flavour='cu128-sm90'))


def test_cuda_host_without_nvcc_says_what_is_missing(host):
    rc, plan, text = host(torch_cuda='12.8', gpus='9.0', nvcc=None)
    assert rc == 2, text
    assert plan['mmcv_wheel'] == '-'
    problem = plan['problem']
    for words in ('CUDA 12.8', 'compute capability 9.0', 'nvcc was not found',
                  'CUDA_HOME', 'MIXEDAE_MMCV_FLAVOUR=cpu'):
        assert words in problem, words
    # the user's way out: CPU ops on purpose
    rc, plan, text = host(torch_cuda='12.8', gpus='9.0', nvcc=None,
                          extra_env=dict(MIXEDAE_MMCV_FLAVOUR='cpu'))
    assert rc == 0, text
    assert plan['mmcv_flavour'] == 'cpu'
    assert 'will not run on GPU tensors' in plan['note']


def test_cuda_torch_without_a_gpu_builds_cpu_ops_and_says_so(host):
    """This machine: a CUDA build of torch and nvcc, but no GPU."""
    rc, plan, text = host(torch_cuda='13.0', gpus='', nvcc='13.0')
    assert rc == 0, text
    assert plan['mmcv_flavour'] == 'cpu'
    assert 'sees no GPU' in plan['note']
    # building CUDA ops for another machine needs its architectures
    rc, plan, _ = host(torch_cuda='13.0', gpus='', nvcc='13.0',
                       extra_env=dict(MIXEDAE_MMCV_FLAVOUR='cuda'))
    assert rc == 2 and 'TORCH_CUDA_ARCH_LIST' in plan['problem']
    rc, plan, text = host(
        torch_cuda='13.0', gpus='', nvcc='13.0',
        extra_env=dict(MIXEDAE_MMCV_FLAVOUR='cuda',
                       TORCH_CUDA_ARCH_LIST='8.0;8.6+PTX'))
    assert rc == 0, text
    assert plan['mmcv_wheel'].endswith(KEY.format(flavour='cu130-sm80_86ptx'))


def test_nvcc_of_another_cuda_major_is_refused(host):
    rc, plan, _ = host(torch_cuda='12.8', gpus='9.0', nvcc='11.8')
    assert rc == 2
    assert 'does not match' in plan['problem'] and '12.x' in plan['problem']


def test_cuda_ops_need_a_cuda_torch(host):
    rc, plan, _ = host(torch_cuda='none', nvcc='12.8',
                       extra_env=dict(MIXEDAE_MMCV_FLAVOUR='cuda'))
    assert rc == 2 and 'CPU-only build' in plan['problem']


@pytest.mark.parametrize('cores,mem_gib,expected', [(4, 3, 1), (2, 64, 2),
                                                    (64, 33, 16)])
def test_jobs_follow_cores_and_memory(host, cores, mem_gib, expected):
    rc, plan, _ = host(cores=cores, mem_gib=mem_gib)
    assert rc == 0
    assert plan['max_jobs'].split()[0] == str(expected)


def test_a_users_max_jobs_is_kept_and_checked(host):
    rc, plan, _ = host(extra_env=dict(MAX_JOBS='3'))
    assert plan['max_jobs'] == '3 (MAX_JOBS from the environment)'
    rc, plan, _ = host(extra_env=dict(MAX_JOBS='many'))
    assert rc == 2 and 'MAX_JOBS=many' in plan['problem']


def test_fashion_mnist_is_installed_only_when_it_can_be(host):
    assert host(fashion_mnist=True)[1]['fashion_mnist'] == 'present'
    _, plan, _ = host(fashion_mnist=False, uid=0)
    expected = ('install' if os.path.exists('/usr/bin/apt-get') else
                'skip: no apt-get')
    assert plan['fashion_mnist'].startswith(expected)
    _, plan, _ = host(fashion_mnist=False, uid=1000)
    assert plan['fashion_mnist'].startswith('skip: not root')


def test_unknown_argument_is_an_error(host):
    rc, _, text = host(args=('--plan', ))
    assert rc == 1
    assert "unknown argument '--plan'" in text
