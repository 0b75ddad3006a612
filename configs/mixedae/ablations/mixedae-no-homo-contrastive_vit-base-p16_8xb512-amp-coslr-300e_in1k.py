# Ablation: no homologous contrastive loss (homo_acc then fluctuates, as
# the paper reports).
_base_ = '../mixedae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py'

model = dict(head=dict(loss_hc=None))
