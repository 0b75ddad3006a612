# MMPretrain's MoCo v2 (MoCoV2Neck, ContrastiveHead, temperature 0.2) on the
# proxy's ResNet; a queue of 4096 keys (16 batches, 7% of the 60,000
# images) and an EMA of 0.99 (MMPretrain's momentum=0.01) for a run of a few
# epochs.  It runs through MixMaskMoCo with mix_weight=0: MoCo v2's loss bit
# for bit (tests/test_mixmask.py), no mixed pass, and the collapse signals
# emb_std / view_cos logged like the MixMask row's.
_base_ = ['./resnet18-proxy.py']

model = dict(
    type='MixMaskMoCo',
    mix_weight=0.0,
    queue_len=4096,
    feat_dim=128,
    momentum=0.01,
    backbone={{_base_.backbone}},
    neck=dict(
        type='MoCoV2Neck',
        in_channels={{_base_.feat_channels}},
        hid_channels={{_base_.feat_channels}},
        out_channels=128,
        with_avg_pool=True),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.2))
