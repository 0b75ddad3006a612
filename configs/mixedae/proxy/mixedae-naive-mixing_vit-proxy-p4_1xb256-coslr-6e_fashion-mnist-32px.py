# Proxy row "naive mixing": mixing and unmixing only -- no homologous
# attention, no homologous contrastive loss.
_base_ = './mixedae_vit-proxy-p4_1xb256-coslr-6e_fashion-mnist-32px.py'
model = dict(backbone=dict(homo_attn_layers=()), head=dict(loss_hc=None))
