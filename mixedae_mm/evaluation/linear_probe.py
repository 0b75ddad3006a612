"""Linear probe: multinomial logistic regression on frozen features."""
import torch
import torch.nn.functional as F

__all__ = ['linear_probe_top1']


def linear_probe_top1(train_features: torch.Tensor,
                      train_labels: torch.Tensor,
                      test_features: torch.Tensor,
                      test_labels: torch.Tensor,
                      weight_decay: float = 1e-4,
                      max_iter: int = 300) -> float:
    """Fit a softmax classifier on frozen features; test top-1 in [0, 1].

    The features are standardised with the training set's mean and
    standard deviation, then ``W, b`` minimise the mean cross-entropy plus
    ``weight_decay / 2 * ||W||^2`` with full-batch L-BFGS (strong-Wolfe line
    search): the same convex problem as scikit-learn's
    ``LogisticRegression(C=1 / (weight_decay * M))``, solved in float64
    with torch, so a 60k x 192 probe takes seconds on a CPU.

    Args:
        train_features (torch.Tensor): ``(M, D)``.
        train_labels (torch.Tensor): ``(M,)`` int64.
        test_features (torch.Tensor): ``(Q, D)``.
        test_labels (torch.Tensor): ``(Q,)`` int64.
        weight_decay (float): L2 penalty on ``W``. Defaults to 1e-4.
        max_iter (int): L-BFGS iterations. Defaults to 300.

    Returns:
        float: Test top-1 accuracy.
    """
    x = train_features.double()
    mean, std = x.mean(0), x.std(0).clamp(min=1e-6)
    x = (x - mean) / std
    x_test = (test_features.double() - mean) / std
    num_classes = int(max(train_labels.max(), test_labels.max())) + 1
    weight = torch.zeros(
        x.shape[1], num_classes, dtype=x.dtype, requires_grad=True)
    bias = torch.zeros(num_classes, dtype=x.dtype, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias],
                                  max_iter=max_iter,
                                  history_size=20,
                                  tolerance_grad=1e-9,
                                  tolerance_change=1e-12,
                                  line_search_fn='strong_wolfe')

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(x @ weight + bias, train_labels) + \
            0.5 * weight_decay * weight.pow(2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    with torch.no_grad():
        preds = (x_test @ weight + bias).argmax(dim=1)
    return (preds == test_labels).float().mean().item()
