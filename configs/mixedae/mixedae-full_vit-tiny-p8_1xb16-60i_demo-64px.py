# A tiny MixedAE-Full that pre-trains on a CPU like the tiny MixedAE demo:
# the same 192-dim 4-layer encoder on 64 px images, but every image gives
# V = 4 views with pairwise box IoU >= 0.5 (IoUBoundedMultiViewCrop).  A
# batch holds 16 views = 4 images x 4 views, so a step costs what the plain
# demo's step costs.  Views of one image are never mixed together; in the
# homologous contrastive loss the patches of every view of an image are
# positives (MixedAEFull's defaults).  See mixedae-full_vit-base-p16_*.py.
_base_ = ['./mixedae_vit-tiny-p8_1xb16-60i_demo-64px.py']

num_views = 4
model = dict(
    type='MixedAEFull',
    num_views=num_views,
    views_in_one_group=False,
    cross_view_positives=True)

train_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(
        type='IoUBoundedMultiViewCrop',
        scale={{_base_.img_size}},
        num_views=num_views,
        min_iou=0.5,
        max_resamples=100,
        crop_ratio_range=(0.2, 1.0),
        backend='pillow',
        interpolation='bicubic',
        view_pipeline=[dict(type='RandomFlip', prob=0.5)]),
    dict(
        type='PackInputs',
        meta_keys=('sample_idx', 'img_path', 'ori_shape', 'img_shape',
                   'view_boxes', 'view_fallbacks'))
]
train_dataloader = dict(
    batch_size=16 // num_views,
    dataset=dict(dataset=dict(pipeline=train_pipeline)))
