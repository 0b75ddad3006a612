"""kNN and linear-probe evaluation of frozen features, and the kNN hook."""
import math

import pytest
import torch

from mixedae_mm.evaluation import (knn_predict, knn_top1, linear_probe_top1,
                                   pool_features)


def _knn_reference(bank, labels, queries, num_classes, k, temperature):
    """DINO's weighted kNN written out query by query."""
    preds = []
    for q in queries:
        sims = [
            float(torch.dot(q, b) / (q.norm() * b.norm())) for b in bank
        ]
        order = sorted(range(len(sims)), key=lambda j: -sims[j])[:k]
        votes = [0.0] * num_classes
        for j in order:
            votes[int(labels[j])] += math.exp(sims[j] / temperature)
        preds.append(max(range(num_classes), key=lambda c: votes[c]))
    return torch.tensor(preds)


def test_knn_matches_a_written_out_reference():
    g = torch.Generator().manual_seed(0)
    bank = torch.randn(57, 6, generator=g)
    labels = torch.randint(0, 4, (57, ), generator=g)
    queries = torch.randn(23, 6, generator=g)
    for k, temperature in ((1, 0.07), (5, 0.07), (20, 0.5)):
        expected = _knn_reference(bank, labels, queries, 4, k, temperature)
        got = knn_predict(bank, labels, queries, 4, k, temperature,
                          chunk_size=7)  # several chunks, a ragged last one
        assert torch.equal(got, expected), (k, temperature)


def test_knn_votes_are_weighted_not_counted():
    """Two far neighbours of class 1 lose to one near neighbour of class
    0 at a low temperature, win at a high one (plain majority)."""
    bank = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.05, 1.0]])
    labels = torch.tensor([0, 1, 1])
    query = torch.tensor([[1.0, 0.3]])
    assert knn_predict(bank, labels, query, 2, k=3,
                       temperature=0.05).item() == 0
    assert knn_predict(bank, labels, query, 2, k=3,
                       temperature=100.).item() == 1


def test_knn_top1_is_a_fraction():
    bank = torch.eye(3).repeat(4, 1)
    labels = torch.arange(3).repeat(4)
    queries = torch.eye(3)
    assert knn_top1(bank, labels, queries, torch.tensor([0, 1, 2])) == 1.0
    assert knn_top1(bank, labels, queries,
                    torch.tensor([1, 1, 0])) == pytest.approx(1 / 3)


def test_linear_probe_separates_what_is_separable_and_nothing_else():
    g = torch.Generator().manual_seed(0)
    centres = torch.randn(5, 16, generator=g) * 3
    labels = torch.randint(0, 5, (600, ), generator=g)
    x = centres[labels] + torch.randn(600, 16, generator=g)
    acc = linear_probe_top1(x[:400], labels[:400], x[400:], labels[400:])
    assert acc > 0.97
    # labels unrelated to the features: chance level on held-out data
    shuffled = labels[torch.randperm(600, generator=g)]
    acc = linear_probe_top1(x[:400], shuffled[:400], x[400:], shuffled[400:])
    assert acc < 0.35


def test_linear_probe_matches_gradient_descent_on_the_same_objective():
    """The L-BFGS solution predicts like plain gradient descent run to
    convergence on the same regularised cross-entropy."""
    g = torch.Generator().manual_seed(1)
    x = torch.randn(300, 4, generator=g)
    y = (x[:, 0] + 0.5 * x[:, 1] + 0.3 * torch.randn(300, generator=g) >
         0).long()
    test = torch.randn(200, 4, generator=g)
    xs = (x - x.mean(0)) / x.std(0)
    ts = (test - x.mean(0)) / x.std(0)
    w = torch.zeros(4, 2, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=1.0)
    for _ in range(500):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(
            xs.double() @ w + b, y) + 0.5 * 1e-2 * w.pow(2).sum()
        loss.backward()
        opt.step()
    ref = (ts.double() @ w + b).argmax(1)
    acc_vs_ref = linear_probe_top1(x, y, test, ref, weight_decay=1e-2)
    assert acc_vs_ref >= 0.99


def test_pool_features_shapes_and_errors():
    tokens = torch.arange(2 * 5 * 3, dtype=torch.float32).view(2, 5, 3)
    out = pool_features(tokens)
    assert torch.equal(out['cls'], tokens[:, 0])
    assert torch.allclose(out['mean'], tokens[:, 1:].mean(1))
    fmap = torch.randn(2, 8, 4, 4)
    assert pool_features(fmap, ('mean', ))['mean'].shape == (2, 8)
    with pytest.raises(ValueError, match='only the "mean" feature'):
        pool_features(fmap, ('cls', ))
    with pytest.raises(ValueError, match='unknown feature'):
        pool_features(tokens, ('max', ))
