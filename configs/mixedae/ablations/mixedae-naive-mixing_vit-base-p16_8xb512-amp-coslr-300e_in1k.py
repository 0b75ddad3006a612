# Ablation "naive mixing": mixing and unmixing only -- no homologous
# attention, no homologous contrastive loss.
_base_ = '../mixedae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py'

model = dict(backbone=dict(homo_attn_layers=()), head=dict(loss_hc=None))
