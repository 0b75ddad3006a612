# ViT-S/16 = mmpretrain arch 'deit-s' (384 dims, 12 layers, 6 heads).
# Note: mmpretrain's arch 's' is a different, 768-dim 8-layer ViT.
_base_ = './mixedae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py'

model = dict(
    backbone=dict(arch='deit-s'),
    neck=dict(embed_dim=384))
