# MixMask on MoCo v2, ResNet-18, 1000 epochs on CIFAR-100 (32 px).
# The paper's setting (Table 1: grid 2, ratio 0.5); the rest is not in the
# paper or the official code and is ours: a ResNet-18 with MMPretrain's
# CIFAR stem (3x3 conv, stride 1, no max-pool), a 512-d MLP head to 128-d,
# queue 4096, EMA 0.99, temperature 0.2, SGD lr 0.06 for 256 images, wd 5e-4,
# cosine; crops 0.2-1 with colour jitter and grey scale, no blur at 32 px.
# Grid 2 uses *discrete* masks: block rectangles are strictly smaller than
# the grid, so a 2x2 block mask is almost always empty (and the paper's
# grid-2 rows equal its discrete rows).
# Data: data/cifar100/cifar-100-python (MMPretrain's CIFAR100, no download).
_base_ = './mixmask-mocov2_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(
    queue_len=4096,
    momentum=0.01,
    backbone=dict(
        _delete_=True,
        type='ResNet_CIFAR',
        depth=18,
        norm_cfg=dict(type='BN'),
        zero_init_residual=False),
    neck=dict(in_channels=512, hid_channels=512, out_channels=128),
    mask_cfg=dict(grid_size=2, mask_ratio=0.5, mode='discrete'))

data_preprocessor = dict(
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418],
    to_rgb=False)  # CIFAR100 already yields RGB arrays

view_pipeline = [
    dict(
        type='RandomResizedCrop',
        scale=32,
        crop_ratio_range=(0.2, 1.),
        backend='pillow'),
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.1)
        ],
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.2989, 0.587, 0.114)),  # RGB order
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs')
]
train_dataloader = dict(
    batch_size=256,
    num_workers=8,
    drop_last=True,
    dataset=dict(
        _delete_=True,
        type='CIFAR100',
        data_root='data/cifar100',
        split='train',
        download=False,
        pipeline=train_pipeline))

max_epochs = 1000
optim_wrapper = dict(optimizer=dict(lr=0.06, weight_decay=5e-4))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        by_epoch=True,
        begin=0,
        end=max_epochs)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
default_hooks = dict(checkpoint=dict(interval=50, max_keep_ckpts=3))
