# MixMask on SimSiam, ResNet-50, 200 epochs on ImageNet-1k, on MMPretrain's
# SimSiam recipe (SGD lr 0.05, fixed predictor lr, SyncBN).  No released
# MixMask recipe for SimSiam; ours: the mixed first view is predicted
# towards the (detached) clean second view, with SimSiam's factor 0.5.
_base_ = 'mmpretrain::simsiam/simsiam_resnet50_8xb32-coslr-200e_in1k.py'

custom_imports = dict(imports=['mixedae_mm'], allow_failed_imports=False)

model = dict(
    type='MixMaskSimSiam',
    mask_cfg=dict(grid_size=8, mask_ratio=0.5, mode='block'),
    mix_weight=1.0)

lr = 0.05
custom_hooks = [
    dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=lr),
    dict(type='CheckpointCheckHook'),
    dict(type='NonFiniteLossHook'),
    dict(type='RNGStateHook'),
]

# one seed per process (seed + rank): every GPU draws its own MixMask masks
# and augmentations, as the official code does (MMPretrain's recipe seeds
# all ranks alike)
randomness = dict(diff_rank_seed=True)
