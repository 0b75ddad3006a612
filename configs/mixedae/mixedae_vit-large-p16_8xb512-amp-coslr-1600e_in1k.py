# ViT-L/16 (1024 dims, 24 layers, 16 heads), 1600 epochs.
_base_ = './mixedae_vit-base-p16_8xb512-amp-coslr-1600e_in1k.py'

model = dict(
    backbone=dict(arch='l'),
    neck=dict(embed_dim=1024))
