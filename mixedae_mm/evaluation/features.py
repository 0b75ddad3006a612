"""Features of a frozen encoder for kNN and linear evaluation."""
from typing import Dict, Iterable, Sequence

import torch
from torch import nn

__all__ = ['pool_features', 'extract_features']

#: how each kind of feature is read off the encoder's last output
FEATURES = ('cls', 'mean')


def pool_features(out: torch.Tensor,
                  features: Sequence[str] = FEATURES
                  ) -> Dict[str, torch.Tensor]:
    """Turn an encoder output into one vector per image.

    Args:
        out (torch.Tensor): ViT tokens ``(B, 1 + N, D)`` (cls token first,
            as ``VisionTransformer`` with ``out_type='raw'`` returns them)
            or ConvNet feature maps ``(B, C, H, W)``.
        features (Sequence[str]): ``'cls'`` (the cls token; tokens only)
            and/or ``'mean'`` (mean of the patch tokens, or global average
            pooling of a feature map).

    Returns:
        dict[str, torch.Tensor]: ``(B, D)`` float32 per requested feature.
    """
    if out.dim() == 4:
        unknown = set(features) - {'mean'}
        if unknown:
            raise ValueError(
                f'a ConvNet feature map (B, C, H, W) has only the "mean" '
                f'feature (global average pooling), not {sorted(unknown)}.')
        return dict(mean=out.float().mean(dim=(2, 3)))
    if out.dim() != 3:
        raise ValueError(
            'expected ViT tokens (B, 1 + N, D) or a feature map (B, C, H, '
            f'W), got shape {tuple(out.shape)}.')
    pooled = {}
    for name in features:
        if name == 'cls':
            # a copy: a view would keep the whole (B, 1 + N, D) output
            # alive as long as the feature (65x its size at N = 64)
            pooled[name] = out[:, 0].float().clone()
        elif name == 'mean':
            pooled[name] = out[:, 1:].float().mean(dim=1)
        else:
            raise ValueError(
                f'unknown feature {name!r}; choose from {FEATURES}.')
    return pooled


@torch.no_grad()
def extract_features(model: nn.Module,
                     dataloader: Iterable,
                     features: Sequence[str] = FEATURES
                     ) -> Dict[str, torch.Tensor]:
    """Run a self-supervised model's encoder over a data loader.

    The batches go through the model's own ``data_preprocessor`` (so the
    normalisation is the one of pre-training) and ``extract_feat`` (the
    plain encoder: for MAE / MixedAE the ViT without masking or mixing).
    The last output is pooled by :func:`pool_features`.

    Args:
        model (nn.Module): An MMPretrain ``BaseSelfSupervisor``.
        dataloader (Iterable): Yields MMPretrain batches (``inputs`` and
            ``data_samples`` with ``gt_label``).
        features (Sequence[str]): Features to return, see
            :func:`pool_features`.

    Returns:
        dict[str, torch.Tensor]: One ``(M, D)`` float32 tensor per feature
        and ``'labels'`` ``(M,)`` int64 (``-1`` where a sample has none).
    """
    was_training = model.training
    model.eval()
    chunks = {name: [] for name in features}
    labels = []
    try:
        for data in dataloader:
            batch = model.data_preprocessor(data, False)
            inputs = batch['inputs']
            if isinstance(inputs, (list, tuple)):
                inputs = inputs[0]
            out = model.extract_feat(inputs)
            if isinstance(out, (list, tuple)):
                out = out[-1]
            for name, value in pool_features(out, features).items():
                chunks[name].append(value.cpu())
            for sample in batch['data_samples']:
                label = sample.get('gt_label', None)
                labels.append(-1 if label is None else int(label[0]))
    finally:
        model.train(was_training)
    result = {name: torch.cat(values) for name, values in chunks.items()}
    result['labels'] = torch.tensor(labels, dtype=torch.long)
    return result
