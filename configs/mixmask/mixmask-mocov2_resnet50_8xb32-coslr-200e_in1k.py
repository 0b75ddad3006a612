# MixMask on MoCo v2, ResNet-50, 200 epochs on ImageNet-1k: the official
# recipe (kirill-vish/MixMask, main_moco_mixmask.py), which is MMPretrain's
# MoCo v2 recipe: 256 images in all, SGD lr 0.03, momentum 0.9, wd 1e-4,
# cosine; queue 65536, 128-d MLP head, temperature 0.2, EMA 0.999, MoCo v2
# augmentations.  MixMask: 8x8 block masks, ratio 0.5, one mask per GPU.
_base_ = 'mmpretrain::mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py'

custom_imports = dict(imports=['mixedae_mm'], allow_failed_imports=False)

model = dict(
    type='MixMaskMoCo',
    mask_cfg=dict(grid_size=8, mask_ratio=0.5, mode='block'),
    mix_weight=1.0)

# mixedae-mm's reliability hooks (see the README): refuse a checkpoint of
# another model, stop on a non-finite loss, resume the random generators
custom_hooks = [
    dict(type='CheckpointCheckHook'),
    dict(type='NonFiniteLossHook'),
    dict(type='RNGStateHook'),
]

# one seed per process (seed + rank): every GPU draws its own MixMask masks
# and augmentations, as the official code does (MMPretrain's recipe seeds
# all ranks alike)
randomness = dict(diff_rank_seed=True)
