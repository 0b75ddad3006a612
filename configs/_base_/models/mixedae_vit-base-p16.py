# MixedAE with a ViT-B/16 encoder and MAE's decoder (8 blocks, 512 dims).
model = dict(
    type='MixedAE',
    backbone=dict(
        type='MixedAEViT',
        arch='b',
        patch_size=16,
        mixing_ratio=0.25,  # r: each of G = 1/r = 4 images shows 25%
        homo_attn_layers=None,  # None: all layers; (): naive mixing
        topk=None,  # None: r * N patch keys per query (+ the cls key)
        # no source information enters the encoder (True: the ablation
        # '+ segment embedding', a shortcut; docs/proxy.md)
        segment_embed=False),
    neck=dict(
        type='MixedAEPretrainDecoder',
        patch_size=16,
        in_chans=3,
        embed_dim=768,
        decoder_embed_dim=512,
        decoder_depth=8,
        decoder_num_heads=16,
        mlp_ratio=4.),
    head=dict(
        type='MixedAEPretrainHead',
        norm_pix=True,
        patch_size=16,
        loss=dict(type='PixelReconstructionLoss', criterion='L2'),
        loss_hc=dict(
            type='HomologousContrastiveLoss',
            temperature=0.25,
            loss_weight=0.5)),
    init_cfg=[
        dict(type='Xavier', layer='Linear', distribution='uniform'),
        dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)
    ])
