# Mask R-CNN on a MixedAE ViT-B/16 for COCO, ViTDet's way (Li et al.,
# "Exploring Plain Vision Transformer Backbones for Object Detection"):
# the plain ViT's last feature map (stride 16) goes through a simple feature
# pyramid (strides 4-64, LayerNorm), the RPN has 2 convolutions, the box
# head 4 convolutions and 1 fc layer, heads and neck use LayerNorm; large-
# scale jitter at 1024 px, 100 epochs, layer-wise lr decay 0.7, drop path
# 0.1 (see _base_/lsj-100e_coco-instance_vitdet.py).
# Unlike ViTDet, every block attends globally: mmpretrain's VisionTransformer
# has neither windowed attention nor relative positions (ViTDet: 14x14
# windows in 8 of 12 blocks, relative positions); the absolute position
# embeddings are resized to 64x64.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    './_base_/lsj-100e_coco-instance_vitdet.py',
]
custom_imports = dict(imports=['mixedae_mm'], allow_failed_imports=False)

pretrained = 'work_dirs/mixedae_vit-base-p16_8xb512-amp-coslr-1600e_in1k/epoch_1600.pth'  # noqa: E501
norm_cfg = dict(type='LN2d', eps=1e-6, requires_grad=True)
image_size = (1024, 1024)
model = dict(
    data_preprocessor=dict(
        pad_size_divisor=32,
        batch_augments=[
            dict(type='BatchFixedSizePad', size=image_size, pad_mask=True)
        ]),
    backbone=dict(
        _delete_=True,
        type='mmpretrain.VisionTransformer',
        arch='base',
        img_size=image_size,
        patch_size=16,
        out_indices=-1,
        out_type='featmap',
        final_norm=False,
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    neck=dict(
        _delete_=True,
        type='SimpleFeaturePyramid',
        in_channels=768,
        out_channels=256,
        scale_factors=(4.0, 2.0, 1.0, 0.5),
        num_outs=5,
        norm_cfg=norm_cfg),
    rpn_head=dict(num_convs=2),
    roi_head=dict(
        bbox_head=dict(
            type='Shared4Conv1FCBBoxHead',
            conv_out_channels=256,
            norm_cfg=norm_cfg),
        mask_head=dict(norm_cfg=norm_cfg)))

optim_wrapper = dict(
    constructor='BackboneLayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(
        layer_decay_rate=0.7,
        flat_decay_mult=0.0,  # no weight decay on norms and biases
        custom_keys={
            '.pos_embed': dict(decay_mult=0.0),
            '.cls_token': dict(decay_mult=0.0)
        }))

# fail the run unless every encoder weight was loaded (`ln1`, the final
# norm, and `segment_embed` are not used on purpose)
custom_hooks = [
    dict(type='CheckPretrainedWeightsHook', allowed_unexpected=['ln1.*'])
]
