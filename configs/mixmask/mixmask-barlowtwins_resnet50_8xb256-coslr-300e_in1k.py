# MixMask on Barlow Twins, ResNet-50, 300 epochs on ImageNet-1k, on
# MMPretrain's Barlow Twins recipe (LARS lr 1.6 for 2048 images, 8192-d
# projector).  The paper uses Barlow Twins only as a baseline; ours: the
# mixed first view is cross-correlated with the clean second view
# (detach_target=False: the target keeps its gradient, as in the base term).
_base_ = 'mmpretrain::barlowtwins/barlowtwins_resnet50_8xb256-coslr-300e_in1k.py'  # noqa: E501

custom_imports = dict(imports=['mixedae_mm'], allow_failed_imports=False)

model = dict(
    type='MixMaskBarlowTwins',
    mask_cfg=dict(grid_size=8, mask_ratio=0.5, mode='block'),
    mix_weight=1.0,
    detach_target=False)

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
