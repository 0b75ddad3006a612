# Proxy row "-homologous contrastive": MixedAE without the contrastive loss.
_base_ = './mixedae_vit-proxy-p4_1xb256-coslr-6e_fashion-mnist-32px.py'
model = dict(head=dict(loss_hc=None))
