"""Two processes give the method of one: groups are formed within each
process's batch, DDP averages the gradients, so one step on 2 x 8 images
equals one step on the 16 images with the same mixing masks."""
import os
import subprocess
import sys

import pytest
import torch

from conftest import ROOT, free_port


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
