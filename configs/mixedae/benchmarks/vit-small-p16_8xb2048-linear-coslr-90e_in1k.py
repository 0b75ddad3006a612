# Linear probing of a frozen MixedAE ViT-S/16 (mmpretrain arch 'deit-s')
# on ImageNet-1k: our choice is the ViT-B recipe unchanged
# (vit-base-p16_8xb2048-linear-coslr-90e_in1k.py), only the width differs;
# neither MAE nor the paper publish one for ViT-S.
# Each model-zoo entry has its own config, vit-small-p16_mixedae-*-pre_*.py,
# that loads its pre-training; this one loads the 300-epoch ViT-S/16.
_base_ = './vit-base-p16_8xb2048-linear-coslr-90e_in1k.py'

pretrained = 'work_dirs/mixedae_vit-small-p16_8xb512-amp-coslr-300e_in1k/epoch_300.pth'  # noqa: E501
model = dict(
    backbone=dict(arch='deit-s', init_cfg=dict(checkpoint=pretrained)),
    neck=dict(input_features=384),
    head=dict(in_channels=384))
