"""Weighted k-nearest-neighbour classification of frozen features."""
import torch
import torch.nn.functional as F

from ..datasets.class_balanced_subset import class_balanced_indices

__all__ = ['knn_predict', 'knn_top1', 'lowshot_knn_top1']


@torch.no_grad()
def knn_predict(train_features: torch.Tensor,
                train_labels: torch.Tensor,
                test_features: torch.Tensor,
                num_classes: int,
                k: int = 20,
                temperature: float = 0.07,
                chunk_size: int = 256) -> torch.Tensor:
    """Classify by a temperature-weighted vote of the ``k`` nearest
    neighbours under cosine similarity, as in DINO's kNN evaluation (Caron
    et al., ICCV 2021): neighbour ``j`` of a query votes for its class with
    weight ``exp(s_j / temperature)``, ``s_j`` the cosine similarity.

    Args:
        train_features (torch.Tensor): Bank ``(M, D)``.
        train_labels (torch.Tensor): Bank labels ``(M,)`` in
            ``[0, num_classes)``.
        test_features (torch.Tensor): Queries ``(Q, D)``.
        num_classes (int): Number of classes.
        k (int): Neighbours per query (capped at ``M``). Defaults to 20.
        temperature (float): Vote temperature. Defaults to 0.07.
        chunk_size (int): Queries per similarity block (memory
            ``chunk_size x M`` floats: 61 MiB for 256 x 60,000).

    Returns:
        torch.Tensor: Predicted classes ``(Q,)``.
    """
    if train_features.shape[0] != train_labels.shape[0]:
        raise ValueError(
            f'{train_features.shape[0]} bank features but '
            f'{train_labels.shape[0]} labels.')
    bank = F.normalize(train_features.float(), dim=1)
    k = min(k, bank.shape[0])
    preds = []
    for queries in test_features.float().split(chunk_size):
        sims = F.normalize(queries, dim=1) @ bank.T
        top_sims, top_idx = sims.topk(k, dim=1)
        weights = (top_sims / temperature).exp()
        votes = torch.zeros(
            queries.shape[0], num_classes, dtype=weights.dtype)
        votes.scatter_add_(1, train_labels[top_idx], weights)
        preds.append(votes.argmax(dim=1))
    return torch.cat(preds)


def knn_top1(train_features: torch.Tensor,
             train_labels: torch.Tensor,
             test_features: torch.Tensor,
             test_labels: torch.Tensor,
             k: int = 20,
             temperature: float = 0.07) -> float:
    """Top-1 accuracy in ``[0, 1]`` of :func:`knn_predict`."""
    num_classes = int(max(train_labels.max(), test_labels.max())) + 1
    preds = knn_predict(train_features, train_labels, test_features,
                        num_classes, k, temperature)
    return (preds == test_labels).float().mean().item()


def lowshot_knn_top1(train_features: torch.Tensor,
                     train_labels: torch.Tensor,
                     test_features: torch.Tensor,
                     test_labels: torch.Tensor,
                     per_class: int = 10,
                     draws: int = 5,
                     seed: int = 0,
                     k: int = 20,
                     temperature: float = 0.07) -> float:
    """kNN top-1 with a bank of ``per_class`` labelled images a class,
    averaged over ``draws`` banks.

    Bank ``d`` is :func:`class_balanced_indices` of ``train_labels`` with
    seed ``seed + d``: the draws depend on the labels only, so every
    encoder is judged on the same labelled images.

    Args:
        train_features (torch.Tensor): Candidates for the bank ``(M, D)``.
        train_labels (torch.Tensor): Their labels ``(M,)``.
        test_features (torch.Tensor): Queries ``(Q, D)``.
        test_labels (torch.Tensor): Their labels ``(Q,)``.
        per_class (int): Labelled images a class. Defaults to 10.
        draws (int): Banks averaged. Defaults to 5.
        seed (int): Seed of the first draw. Defaults to 0.
        k (int): Neighbours (capped at the bank size). Defaults to 20.
        temperature (float): Vote temperature. Defaults to 0.07.

    Returns:
        float: Mean top-1 in ``[0, 1]``.
    """
    accs = []
    for draw in range(draws):
        bank = torch.from_numpy(
            class_balanced_indices(train_labels.numpy(), per_class,
                                   seed + draw))
        accs.append(
            knn_top1(train_features[bank], train_labels[bank],
                     test_features, test_labels, k, temperature))
    return sum(accs) / len(accs)
