# Ablation: plain attention in every layer (no TopK homologous attention).
_base_ = '../mixedae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py'

model = dict(backbone=dict(homo_attn_layers=()))
