# ADE20K UperNet, MixedAE ViT-L/16 pre-trained 300 epochs:
# the recipe of
#   upernet_vit-large-p16_8xb2-amp-160k_ade20k-512x512.py
# loading the last checkpoint of the pre-training
#   mixedae_vit-large-p16_8xb512-amp-coslr-300e_in1k.py
_base_ = './upernet_vit-large-p16_8xb2-amp-160k_ade20k-512x512.py'

pretrained = 'work_dirs/mixedae_vit-large-p16_8xb512-amp-coslr-300e_in1k/epoch_300.pth'  # noqa: E501
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))
