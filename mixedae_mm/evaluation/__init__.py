"""Evaluation of frozen encoders: features, kNN and linear probe."""
from .features import extract_features, pool_features
from .knn import knn_predict, knn_top1, lowshot_knn_top1
from .linear_probe import linear_probe_top1

__all__ = [
    'extract_features', 'pool_features', 'knn_predict', 'knn_top1',
    'lowshot_knn_top1',
    'linear_probe_top1'
]
