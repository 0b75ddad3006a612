# Proxy row "-homologous attention": MixedAE with ordinary attention in
# every layer (so no homo_acc is logged).
_base_ = './mixedae_vit-proxy-p4_1xb256-coslr-6e_fashion-mnist-32px.py'
model = dict(backbone=dict(homo_attn_layers=()))
