# A tiny Mask R-CNN run for CPUs (tests, smoke checks): the demo's tiny
# MixedAE encoder (192 dims, 4 layers, 8 px patches; work_dirs/demo/
# iter_60.pth from `make demo`) in the model of
# mask-rcnn_vit-base-p16_simple-fpn_16xb4-amp-lsj-100e_coco.py with narrow
# heads, large-scale jitter at 128 px, 2 iterations and a bbox/segm AP
# evaluation, on a data set in COCO's layout (annotations/instances_*.json).
_base_ = './mask-rcnn_vit-base-p16_simple-fpn_16xb4-amp-lsj-100e_coco.py'

image_size = (128, 128)
channels = 64
strides = [2, 4, 8, 16, 32]
model = dict(
    data_preprocessor=dict(batch_augments=[
        dict(type='BatchFixedSizePad', size=image_size, pad_mask=True)
    ]),
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dims=192,
            num_layers=4,
            num_heads=3,
            feedforward_channels=768),
        img_size=image_size,
        patch_size=8,
        init_cfg=dict(checkpoint='work_dirs/demo/iter_60.pth')),
    # 8 px patches: the pyramid has strides 2, 4, 8, 16 and 32
    neck=dict(in_channels=192, out_channels=channels),
    rpn_head=dict(
        in_channels=channels,
        feat_channels=channels,
        anchor_generator=dict(strides=strides)),
    roi_head=dict(
        bbox_roi_extractor=dict(
            out_channels=channels, featmap_strides=strides[:4]),
        bbox_head=dict(
            in_channels=channels,
            conv_out_channels=channels,
            fc_out_channels=128),
        mask_roi_extractor=dict(
            out_channels=channels, featmap_strides=strides[:4]),
        mask_head=dict(in_channels=channels, conv_out_channels=channels)),
    train_cfg=dict(
        rpn=dict(sampler=dict(num=64)), rcnn=dict(sampler=dict(num=64))),
    # keep every detection so that the AP of an untrained model is defined
    test_cfg=dict(rcnn=dict(score_thr=0.0, max_per_img=10)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomResize',
        scale=image_size,
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(
        type='RandomCrop',
        crop_type='absolute_range',
        crop_size=image_size,
        recompute_bbox=True,
        allow_negative_crop=True),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1e-2, 1e-2)),
    dict(type='Pad', size=image_size, pad_val=dict(img=(114, 114, 114))),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_size, keep_ratio=True),
    dict(type='Pad', size=image_size, pad_val=dict(img=(114, 114, 114))),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# no AMP on CPUs
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer={{_base_.optim_wrapper.optimizer}},
    constructor={{_base_.optim_wrapper.constructor}},
    paramwise_cfg={{_base_.optim_wrapper.paramwise_cfg}})
max_iters = 2
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=max_iters)
]
train_cfg = dict(
    max_iters=max_iters, val_interval=max_iters, dynamic_intervals=None)
# one process x 2 images
custom_hooks = [
    dict(type='CheckPretrainedWeightsHook', allowed_unexpected=['ln1.*']),
    dict(type='CheckBatchLayoutHook', images_per_iter=2),
]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
