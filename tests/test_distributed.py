"""Two processes give the method of one: groups are formed within each
process's batch, DDP averages the gradients, so one step on 2 x 8 images
equals one step on the 16 images with the same mixing masks."""
import os
import subprocess
import sys

import pytest
import torch

from conftest import ROOT, free_port, write_image_folder


@pytest.mark.slow
def test_two_processes_equal_one_process(tmp_path):
    single, double = str(tmp_path / 'one.pth'), str(tmp_path / 'two.pth')
    run = subprocess.run([sys.executable, 'tests/ddp_step.py', single],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    run = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
         '2', '--master_port', str(free_port()), 'tests/ddp_step.py', double],
        cwd=ROOT, capture_output=True, text=True,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert run.returncode == 0, run.stderr[-3000:]
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
    env = dict(os.environ, OMP_NUM_THREADS='1')
    run = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
         '2', '--master_port', str(free_port()), 'tests/ddp_resume.py', 'two',
         str(tmp_path)], cwd=ROOT, capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr[-3000:]

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
    run = subprocess.run(
        [sys.executable, 'tests/ddp_resume.py', 'one', str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    log = run.stdout + run.stderr
    assert 'holds the random-generator states of 2 process(es) and this ' \
        'run has 1' in log
    assert 'from (seed=0, iter=2, rank=0)' in log
    a, b = masks('reseed_a'), masks('reseed_b')
    assert len(a) == 2 and all(torch.equal(x, y) for x, y in zip(a, b))
