"""One MixedAE training step, single-process or under torchrun (gloo).

    python tests/ddp_step.py OUT.pth             # the whole batch
    torchrun --standalone --nproc_per_node 2 tests/ddp_step.py OUT.pth

Both use the same initial weights, the same 16 images and the same 4
mixing masks; under torchrun rank ``r`` takes images ``8r .. 8r+7`` and
masks ``2r, 2r+1`` -- groups are formed within each process's batch.  Used
by ``test_distributed.py`` (not collected by pytest itself).
"""
import os
import os.path as osp
import sys

import torch
import torch.distributed as dist

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mixedae_mm  # noqa: E402,F401
import mixedae_mm.models.backbones.mixedae_vit as mixedae_vit  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmpretrain.registry import MODELS  # noqa: E402

from mixedae_mm.models.utils import random_mixing_mask  # noqa: E402
from mixedae_mm.tools.train import finish_process_group  # noqa: E402

TINY = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs',
                'mixedae', 'mixedae_vit-tiny-p8_1xb16-60i_demo-64px.py')


def main(out: str) -> None:
    torch.set_num_threads(1)
    distributed = 'RANK' in os.environ
    if distributed:
        dist.init_process_group('gloo')
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1

    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(TINY).model)
    model.init_weights()
    images = torch.randn(16, 3, 64, 64, generator=torch.Generator()
                         .manual_seed(1))
    masks = random_mixing_mask(
        4, 64, 4, generator=torch.Generator().manual_seed(2))
    per_rank = 16 // world
    images = images[rank * per_rank:(rank + 1) * per_rank]
    masks = masks[rank * per_rank // 4:(rank + 1) * per_rank // 4]
    mixedae_vit.random_mixing_mask = lambda *args, **kwargs: masks

    initial = {k: v.clone() for k, v in model.state_dict().items()}
    net = model
    if distributed:
        net = torch.nn.parallel.DistributedDataParallel(model)
    # SGD: the update is linear in the gradient (Adam's first step turns
    # the rounding noise of zero-mean gradients into full-size steps)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = net(images, mode='loss')
    loss, log_vars = model.parse_losses(losses)
    loss.backward()
    optimizer.step()

    loss = loss.detach()
    if distributed:
        dist.all_reduce(loss)
        loss /= world
    if rank == 0:
        torch.save(
            {
                'loss': loss,
                'initial': initial,
                'state_dict': model.state_dict()
            }, out)
    if distributed:
        finish_process_group()


if __name__ == '__main__':
    main(sys.argv[1])
