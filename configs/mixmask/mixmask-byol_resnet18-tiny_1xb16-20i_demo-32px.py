# A tiny MixMask-BYOL for the CPU (tests, README): 32 px, a 16-channel
# ResNet-18, 64-d projections, 4x4 block masks.
# BN1d instead of MMPretrain's default SyncBN: SyncBN needs GPUs when
# several processes train (tools/dist_train.sh CONFIG 2 on CPUs).
_base_ = ['./_base_/demo-32px.py']

model = dict(
    type='MixMaskBYOL',
    base_momentum=0.01,
    backbone={{_base_.backbone}},
    neck=dict(
        type='NonLinearNeck',
        in_channels=128,
        hid_channels=256,
        out_channels=64,
        num_layers=2,
        with_bias=True,
        with_last_bn=False,
        with_avg_pool=True,
        norm_cfg=dict(type='BN1d')),
    head=dict(
        type='LatentPredictHead',
        predictor=dict(
            type='NonLinearNeck',
            in_channels=64,
            hid_channels=256,
            out_channels=64,
            num_layers=2,
            with_bias=True,
            with_last_bn=False,
            with_avg_pool=False,
            norm_cfg=dict(type='BN1d')),
        loss=dict(type='CosineSimilarityLoss')),
    mask_cfg=dict(grid_size=4, mask_ratio=0.5, mode='block'),
    mix_weight=1.0)
