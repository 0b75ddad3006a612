# MMPretrain's own MAE (mask ratio 0.75), at the proxy's sizes.
_base_ = [
    'mmpretrain::_base_/models/mae_vit-base-p16.py',
    './vit-proxy-p4.py',
]
model = dict(
    backbone=dict(
        arch={{_base_.encoder_arch}},
        img_size={{_base_.img_size}},
        patch_size={{_base_.patch_size}},
        # MAEViT takes no in_channels: the patch embedding's config does
        patch_cfg=dict(in_channels={{_base_.in_channels}}),
        mask_ratio=0.75),
    neck=dict(
        num_patches={{_base_.num_patches}},
        patch_size={{_base_.patch_size}},
        in_chans={{_base_.in_channels}},
        embed_dim={{_base_.embed_dims}},
        decoder_embed_dim={{_base_.decoder_embed_dims}},
        decoder_depth={{_base_.decoder_depth}},
        decoder_num_heads={{_base_.decoder_num_heads}}),
    head=dict(
        patch_size={{_base_.patch_size}},
        in_channels={{_base_.in_channels}}))
