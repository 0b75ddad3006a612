# A tiny MixMask-MoCo v2 that trains on the CPU in seconds (the tests and the
# README's CPU runs use it): 32 px, a 16-channel ResNet-18, a 64-d head,
# a 64-key queue, 4x4 block masks.
_base_ = ['./_base_/demo-32px.py']

model = dict(
    type='MixMaskMoCo',
    queue_len=64,
    feat_dim=64,
    momentum=0.01,
    backbone={{_base_.backbone}},
    neck=dict(
        type='MoCoV2Neck',
        in_channels=128,
        hid_channels=128,
        out_channels=64,
        with_avg_pool=True),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.2),
    mask_cfg=dict(grid_size=4, mask_ratio=0.5, mode='block'),
    mix_weight=1.0)
