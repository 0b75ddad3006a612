# MixMask on MoCo v2, ResNet-18, 1000 epochs on Tiny-ImageNet (64 px).
# The paper's setting (Table 1: 4x4 block masks, ratio 0.5); the rest is the
# CIFAR-100 config's (ours; see there), with 64 px crops, ImageNet's
# normalisation and a light blur.
# Data: data/tiny-imagenet-200/train/<wnid>/images/*.JPEG (CustomDataset).
_base_ = './mixmask-mocov2_resnet18_1xb256-coslr-1000e_cifar100.py'

model = dict(mask_cfg=dict(grid_size=4, mask_ratio=0.5, mode='block'))

data_preprocessor = dict(
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

view_pipeline = [
    dict(
        type='RandomResizedCrop',
        scale=64,
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
        channel_weights=(0.114, 0.587, 0.2989)),  # BGR order
    dict(
        type='GaussianBlur',
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs')
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='CustomDataset',
        data_root='data/tiny-imagenet-200',
        data_prefix='train',
        pipeline=train_pipeline))
