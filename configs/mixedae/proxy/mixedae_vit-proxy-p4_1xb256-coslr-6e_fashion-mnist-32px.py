# Proxy row "MixedAE": homologous attention in every layer (TopK = r * N =
# 16), homologous contrastive loss (tau 0.25, lambda 0.5), no source
# information on the encoder's input -- the defaults of the full-size
# configs.
_base_ = [
    './_base_/mixedae_vit-proxy-p4.py',
    './_base_/proxy_recipe.py',
]
