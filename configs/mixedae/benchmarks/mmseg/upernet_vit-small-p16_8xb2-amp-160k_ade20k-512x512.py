# UperNet on a MixedAE ViT-S/16 (mmpretrain arch 'deit-s': 384 dims, 12
# blocks) for ADE20K.  No published MAE recipe at this size; our choice is
# upernet_vit-base-p16_8xb2-amp-160k_ade20k-512x512.py unchanged (its
# differences included) but the backbone's width: 384-channel inputs to
# Feature2Pyramid and the heads, whose own width (768) is kept.
# The paper reports no ViT-S result; untested.
# Each model-zoo entry has its own config,
# upernet_vit-small-p16_mixedae-*-pre_*.py, that loads its pre-training;
# this one loads the 300-epoch ViT-S/16.
_base_ = './upernet_vit-base-p16_8xb2-amp-160k_ade20k-512x512.py'

pretrained = 'work_dirs/mixedae_vit-small-p16_8xb512-amp-coslr-300e_in1k/epoch_300.pth'  # noqa: E501
model = dict(
    backbone=dict(arch='deit-s', init_cfg=dict(checkpoint=pretrained)),
    neck=dict(embed_dim=384),
    decode_head=dict(in_channels=[384, 384, 384, 384]),
    auxiliary_head=dict(in_channels=384))
