# Linear probing of a frozen MixedAE ViT-L/16 on ImageNet-1k: MAE's recipe,
# i.e. what mmpretrain's
# configs/mae/benchmarks/vit-large-p16_8xb2048-linear-coslr-90e_in1k.py
# changes in the ViT-B recipe (vit-base-p16_8xb2048-linear-coslr-90e_in1k.py):
# the width and the 24 frozen blocks.  The paper reports no linear probing.
#
# Differences from the references: as
# vit-base-p16_8xb2048-linear-coslr-90e_in1k.py (auto_scale_lr for 16384
# images; mmpretrain's bilinear resizing kept).
# Each model-zoo entry has its own config, vit-large-p16_mixedae-*-pre_*.py,
# that loads its pre-training; this one loads the 1600-epoch ViT-L/16.
_base_ = './vit-base-p16_8xb2048-linear-coslr-90e_in1k.py'

pretrained = 'work_dirs/mixedae_vit-large-p16_8xb512-amp-coslr-1600e_in1k/epoch_1600.pth'  # noqa: E501
model = dict(
    backbone=dict(
        arch='large', frozen_stages=24, init_cfg=dict(checkpoint=pretrained)),
    neck=dict(input_features=1024),
    head=dict(in_channels=1024))
