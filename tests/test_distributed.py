"""Two processes give the method of one: groups are formed within each
process's batch, DDP averages the gradients, so one step on 2 x 8 images
equals one step on the 16 images with the same mixing masks; every rank
draws its own masks, and resumes its own random stream.

The 2-process runs are made robust against what can break a gloo job on a
shared CI machine:

- ``torchrun --standalone``: the rendezvous store binds port 0 itself, so
  no port is picked, freed and then taken by someone else in between;
- ``GLOO_SOCKET_IFNAME=lo``: gloo talks over the loopback, whatever the
  container's host name resolves to;
- every worker script ends with ``finish_process_group()`` (a barrier, then
  ``destroy_process_group``), so no rank exits -- closing its sockets --
  while the other still uses them, which gloo can answer with SIGABRT;
- a timeout, so a lost peer fails the test instead of blocking CI.
"""
import os
import subprocess
import sys

import pytest
import torch

from conftest import ROOT, write_image_folder

TIMEOUT_S = 1200


def _env() -> dict:
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    if os.path.isdir('/sys/class/net/lo'):
        env['GLOO_SOCKET_IFNAME'] = 'lo'
    return env


def _run(args) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable] + args, cwd=ROOT,
                         capture_output=True, text=True, env=_env(),
                         timeout=TIMEOUT_S)
    assert run.returncode == 0, (run.returncode, run.stderr[-3000:])
    return run


def _torchrun(script, *args) -> subprocess.CompletedProcess:
    """``script`` on 2 gloo processes (CPU)."""
    return _run(['-m', 'torch.distributed.run', '--standalone',
                 '--nproc_per_node', '2', script] + list(args))


@pytest.mark.slow
def test_two_processes_equal_one_process(tmp_path):
    single, double = str(tmp_path / 'one.pth'), str(tmp_path / 'two.pth')
    _run(['tests/ddp_step.py', single])
    _torchrun('tests/ddp_step.py', double)
    one = torch.load(single, weights_only=True)
    two = torch.load(double, weights_only=True)
    # the loss of the whole batch is the mean of the two halves' losses
    torch.testing.assert_close(two['loss'], one['loss'], rtol=1e-5,
                               atol=1e-6)
    changed = 0
    for key, value in one['state_dict'].items():
        torch.testing.assert_close(two['state_dict'][key], value, rtol=1e-4,
                                   atol=1e-6, msg=key)
        changed += not torch.equal(value, one['initial'][key])
    # the step really moved the weights (all but fixed position embeddings)
    assert changed >= len(one['state_dict']) - 3


@pytest.mark.slow
def test_resume_gives_every_rank_its_own_random_stream(tmp_path):
    """2 processes, 4 iterations, checkpoint at 2; a resume from it draws on
    each rank the masks that rank drew uninterrupted -- not rank 0's."""
    write_image_folder(str(tmp_path / 'data' / 'train'))
    _torchrun('tests/ddp_resume.py', 'two', str(tmp_path))

    def masks(name):
        return torch.load(str(tmp_path / f'masks_{name}.pth'),
                          weights_only=True)

    full = [masks(f'full_rank{r}') for r in range(2)]
    resumed = [masks(f'resumed_rank{r}') for r in range(2)]
    for rank in range(2):
        assert len(full[rank]) == 4 and len(resumed[rank]) == 2
        for got, expected in zip(resumed[rank], full[rank][2:]):
            assert torch.equal(got, expected), f'rank {rank}'
    for step in range(2):  # diff_rank_seed: the ranks draw differently
        assert not torch.equal(resumed[0][step], resumed[1][step])

    # one process resuming the 2-process checkpoint: re-seeded, logged,
    # and the same on every such resume
    run = _run(['tests/ddp_resume.py', 'one', str(tmp_path)])
    log = run.stdout + run.stderr
    assert 'holds the random-generator states of 2 process(es) and this ' \
        'run has 1' in log
    assert 'from (seed=0, iter=2, rank=0)' in log
    a, b = masks('reseed_a'), masks('reseed_b')
    assert len(a) == 2 and all(torch.equal(x, y) for x, y in zip(a, b))


@pytest.mark.slow
def test_every_rank_draws_its_own_masks_with_the_shipped_configs(tmp_path):
    """The tiny MixedAE and MixMask configs as shipped (their own
    ``randomness``), 2 processes, 2 iterations, twice: the ranks draw
    different masks, and the rerun draws the same ones again."""
    write_image_folder(str(tmp_path / 'data' / 'train'))
    _torchrun('tests/ddp_masks.py', str(tmp_path))
    for name in ('mixedae', 'mixmask'):
        masks = {(attempt, rank): torch.load(
            str(tmp_path / f'masks_{name}_{attempt}_rank{rank}.pth'),
            weights_only=True) for attempt in 'ab' for rank in range(2)}
        for (attempt, rank), drawn in masks.items():
            assert len(drawn) == 2, (name, attempt, rank)
            # the same seed: the rerun draws the same masks on each rank
            assert all(torch.equal(x, y)
                       for x, y in zip(drawn, masks['a', rank]))
        # one seed per rank: not the other rank's masks (with one seed for
        # all ranks every step's masks are equal)
        assert not all(
            torch.equal(x, y) for x, y in zip(masks['a', 0], masks['a', 1]))
