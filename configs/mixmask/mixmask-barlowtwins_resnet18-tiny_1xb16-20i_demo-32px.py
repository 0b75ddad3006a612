# A tiny MixMask-Barlow Twins for the CPU (tests, README): 32 px, a
# 16-channel ResNet-18, a 128-d projector, 4x4 block masks.
# BN1d instead of MMPretrain's default SyncBN: SyncBN needs GPUs when
# several processes train (tools/dist_train.sh CONFIG 2 on CPUs).
_base_ = ['./_base_/demo-32px.py']

model = dict(
    type='MixMaskBarlowTwins',
    backbone={{_base_.backbone}},
    neck=dict(
        type='NonLinearNeck',
        in_channels=128,
        hid_channels=128,
        out_channels=128,
        num_layers=3,
        with_last_bn=False,
        with_last_bn_affine=False,
        with_avg_pool=True,
        norm_cfg=dict(type='BN1d')),
    head=dict(
        type='LatentCrossCorrelationHead',
        in_channels=128,
        loss=dict(type='CrossCorrelationLoss')),
    mask_cfg=dict(grid_size=4, mask_ratio=0.5, mode='block'),
    mix_weight=1.0)
