# A tiny MixMask-SimSiam for the CPU (tests, README): 32 px, a 16-channel
# ResNet-18, 128-d projections, 4x4 block masks.
# BN1d instead of MMPretrain's default SyncBN: SyncBN needs GPUs when
# several processes train (tools/dist_train.sh CONFIG 2 on CPUs).
_base_ = ['./_base_/demo-32px.py']

model = dict(
    type='MixMaskSimSiam',
    backbone={{_base_.backbone}},
    neck=dict(
        type='NonLinearNeck',
        in_channels=128,
        hid_channels=128,
        out_channels=128,
        num_layers=3,
        with_last_bn_affine=False,
        with_avg_pool=True,
        norm_cfg=dict(type='BN1d')),
    head=dict(
        type='LatentPredictHead',
        loss=dict(type='CosineSimilarityLoss'),
        predictor=dict(
            type='NonLinearNeck',
            in_channels=128,
            hid_channels=32,
            out_channels=128,
            with_avg_pool=False,
            norm_cfg=dict(type='BN1d'),
            with_last_bn=False,
            with_last_bias=True)),
    mask_cfg=dict(grid_size=4, mask_ratio=0.5, mode='block'),
    mix_weight=1.0)
