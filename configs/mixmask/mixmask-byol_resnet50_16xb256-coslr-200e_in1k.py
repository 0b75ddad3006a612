# MixMask on BYOL, ResNet-50, 200 epochs on ImageNet-1k, on MMPretrain's
# BYOL recipe (LARS lr 4.8 for 4096 images, SyncBN, EMA 0.99 -> 1).
# MixMask has no released BYOL recipe (the paper reports BYOL + MixMask
# without one); ours: the mixed first view is predicted towards the target
# network's clean second view, with BYOL's factor 2.  8x8 block masks.
_base_ = 'mmpretrain::byol/byol_resnet50_16xb256-coslr-200e_in1k.py'

custom_imports = dict(imports=['mixedae_mm'], allow_failed_imports=False)

model = dict(
    type='MixMaskBYOL',
    mask_cfg=dict(grid_size=8, mask_ratio=0.5, mode='block'),
    mix_weight=1.0)

# MixMask pairs image i with image N-1-i: every batch must be even, so the
# last, partial batch of an epoch is dropped (MMPretrain's recipe keeps it)
train_dataloader = dict(drop_last=True)

custom_hooks = [
    dict(type='CheckpointCheckHook'),
    dict(type='NonFiniteLossHook'),
    dict(type='RNGStateHook'),
]

# one seed per process (seed + rank): every GPU draws its own MixMask masks
# and augmentations, as the official code does (MMPretrain's recipe seeds
# all ranks alike)
randomness = dict(diff_rank_seed=True)
