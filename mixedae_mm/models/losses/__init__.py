from .homologous_contrastive_loss import HomologousContrastiveLoss

__all__ = ['HomologousContrastiveLoss']
