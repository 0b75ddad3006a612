# MMPretrain's MoCo v2 (MoCoV2Neck, ContrastiveHead, temperature 0.2) on the
# proxy's ResNet; a queue of 4096 keys (16 batches, 7% of the data set) and
# an EMA of 0.99 (MMPretrain's momentum=0.01) for a run of a few epochs.
_base_ = ['./resnet18-proxy.py']

model = dict(
    type='MoCo',
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
