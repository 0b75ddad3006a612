# Ablation: no segment embedding of the source index.
_base_ = '../mixedae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py'

model = dict(backbone=dict(segment_embed=False))
