"""MixedAE.loss end to end on a tiny batch, against hand computations.

The head and the attention are tested on inputs their tests build; here the
algorithm's own wiring is checked: the hidden mask ``MixedAE.loss`` hands to
the head is, image by image, the positions the mixing mask it drew gives to
*another* image; ``loss_rec`` is MAE's normalised-pixel L2 loss on exactly
those positions; ``loss_hc`` is the supervised-contrastive loss of the
encoder's patch tokens (cls token left out) grouped by that mask, and it
trains the encoder; ``homo_acc`` is the mean over the homologous layers of
each layer's share, recomputed from the layer's input with a sort-based
TopK.  Every expected value is a loop or a plain formula written here.
"""
import math

import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

import mixedae_mm  # noqa: F401  (registers the modules)

G, P, IMG, DIM, HEADS, TAU, WEIGHT = 4, 8, 32, 64, 4, 0.25, 0.5
N = (IMG // P)**2  # 16 patches
B = 8  # two mixed images


def build_model(homo_attn_layers=(0, 2)):
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='MixedAE',
            backbone=dict(
                type='MixedAEViT',
                arch=dict(embed_dims=DIM, num_layers=3, num_heads=HEADS,
                          feedforward_channels=2 * DIM),
                img_size=IMG,
                patch_size=P,
                mixing_ratio=1 / G,
                homo_attn_layers=homo_attn_layers),
            neck=dict(
                type='MixedAEPretrainDecoder', num_patches=N, patch_size=P,
                embed_dim=DIM, decoder_embed_dim=32, decoder_depth=1,
                decoder_num_heads=2),
            head=dict(
                type='MixedAEPretrainHead', norm_pix=True, patch_size=P,
                loss=dict(type='PixelReconstructionLoss', criterion='L2'),
                loss_hc=dict(type='HomologousContrastiveLoss',
                             temperature=TAU, loss_weight=WEIGHT))))
    model.init_weights()
    return model


def images():
    return torch.randn(B, 3, IMG, IMG,
                       generator=torch.Generator().manual_seed(1))


def run_and_capture(model, x):
    """Call ``model.loss`` and record what the backbone returned and what
    the head was given."""
    seen = {}
    model.backbone.register_forward_hook(lambda mod, args, out: seen.update(
        latent=out[0], mask=out[1], acc=out[2]))
    head_loss = model.head.loss

    def spy(pred, target, hidden, features, ids):
        seen.update(pred=pred, target=target, hidden=hidden,
                    features=features, ids=ids)
        return head_loss(pred, target, hidden, features, ids)

    model.head.loss = spy
    torch.manual_seed(2)
    losses = model(x, mode='loss')
    return losses, seen


def hidden_by_hand(mask):
    """(B, N): image b = source b % G of group b // G is hidden where the
    mask gives the position to another source."""
    hidden = torch.zeros(B, N, dtype=torch.bool)
    for b in range(B):
        g, i = divmod(b, G)
        for n in range(N):
            hidden[b, n] = int(mask[g, n]) != i
    return hidden


def normalised_patch(image, n):
    """Patch n (raster order) of a (C, H, W) image in MAE's layout (row in
    patch, column in patch, channel), normalised by its own mean and
    unbiased variance."""
    r, c = divmod(n, IMG // P)
    patch = image[:, r * P:(r + 1) * P, c * P:(c + 1) * P]
    values = patch.permute(1, 2, 0).reshape(-1).double()
    mean = values.sum() / len(values)
    var = ((values - mean)**2).sum() / (len(values) - 1)
    return (values - mean) / math.sqrt(var + 1e-6)


def loss_rec_by_hand(pred, x, hidden):
    total, count = 0.0, 0
    for b in range(B):
        for n in range(N):
            if hidden[b, n]:
                err = pred[b, n].double() - normalised_patch(x[b], n)
                total += float((err**2).sum()) / len(err)
                count += 1
    return total / count


def loss_hc_by_hand(features, ids):
    total, count = 0.0, 0
    for f, lab in zip(features, ids):
        z = f.double() / f.double().norm(dim=-1, keepdim=True)
        sim = (z @ z.T).tolist()
        for a in range(len(z)):
            pos = [p for p in range(len(z)) if p != a and lab[p] == lab[a]]
            if not pos:
                continue
            denom = sum(math.exp(sim[a][k] / TAU) for k in range(len(z))
                        if k != a)
            total -= sum(math.log(math.exp(sim[a][p] / TAU) / denom)
                         for p in pos) / len(pos)
            count += 1
    return WEIGHT * total / count


def test_head_gets_the_positions_each_image_did_not_show():
    model = build_model()
    x = images()
    losses, seen = run_and_capture(model, x)
    mask = seen['mask']
    assert mask.shape == (B // G, N)
    hidden = seen['hidden']
    assert hidden.shape == (B, N)
    assert torch.equal(hidden.bool(), hidden_by_hand(mask))
    assert int(hidden.sum()) == B * (N - N // G)
    # the head reconstructs the images it was given, from the decoder
    assert torch.equal(seen['target'], x)
    assert seen['pred'].shape == (B, N, P * P * 3)


def test_losses_equal_hand_computations():
    model = build_model()
    x = images()
    losses, seen = run_and_capture(model, x)
    hidden = hidden_by_hand(seen['mask'])
    assert losses['loss_rec'].item() == pytest.approx(
        loss_rec_by_hand(seen['pred'].detach(), x, hidden), rel=1e-5)
    # the contrastive rows: patch tokens (no cls), ids = the mixing mask
    patches = seen['latent'][:, 1:]
    assert torch.equal(seen['features'], patches)
    assert torch.equal(seen['ids'], seen['mask'])
    assert losses['loss_hc'].item() == pytest.approx(
        loss_hc_by_hand(patches.detach(), seen['mask']), rel=1e-5)


def test_both_losses_train_the_encoder():
    model = build_model()
    losses, _ = run_and_capture(model, images())
    weight = model.backbone.layers[0].attn.qkv.weight
    for key in ('loss_rec', 'loss_hc'):
        grad, = torch.autograd.grad(losses[key], weight, retain_graph=True)
        assert grad.abs().max() > 0, key
    # the contrastive term does not reach the decoder
    grad, = torch.autograd.grad(
        losses['loss_hc'], model.neck.decoder_embed.weight,
        retain_graph=True, allow_unused=True)
    assert grad is None or grad.abs().max() == 0


def homologous_share_by_hand(attn, x, ids):
    """homo_acc of one homologous attention from its input ``x`` (B', L, C):
    per image, head and patch query, the share of its kept patch keys (the
    topk largest scores, found by sorting; ties kept) other than its own
    that come from its source; averaged over the queries that keep one."""
    Bm, L, C = x.shape
    d = C // attn.num_heads
    qkv = attn.qkv(x).reshape(Bm, L, 3, attn.num_heads, d)
    q = qkv[:, :, 0].transpose(1, 2).double()
    k = qkv[:, :, 1].transpose(1, 2).double()
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)
    shares = []
    for b in range(Bm):
        for h in range(attn.num_heads):
            for i in range(L - 1):
                row = scores[b, h, 1 + i, 1:]
                threshold = torch.sort(row, descending=True).values[
                    attn.topk - 1]
                others = [j for j in range(L - 1)
                          if j != i and row[j] >= threshold]
                if others:
                    same = [j for j in others if ids[b, j] == ids[b, i]]
                    shares.append(len(same) / len(others))
    return sum(shares) / len(shares)


def test_homo_acc_is_the_mean_over_the_homologous_layers():
    model = build_model(homo_attn_layers=(0, 2))
    inputs = {}
    for index in (0, 2):
        model.backbone.layers[index].attn.register_forward_pre_hook(
            lambda mod, args, index=index: inputs.update(
                {index: (args[0].detach(), args[1])}))
    with torch.no_grad():
        losses, seen = run_and_capture(model, images())
    assert sorted(inputs) == [0, 2]  # layer 1 is a plain layer
    per_layer = [
        homologous_share_by_hand(model.backbone.layers[i].attn, x, ids)
        for i, (x, ids) in sorted(inputs.items())
    ]
    for _, ids in inputs.values():
        assert torch.equal(ids, seen['mask'])
    # the layers differ, so the mean is neither the first nor the last
    assert abs(per_layer[0] - per_layer[1]) > 1e-3, per_layer
    assert losses['homo_acc'].item() == pytest.approx(
        sum(per_layer) / len(per_layer), abs=1e-6)


def test_full_rows_join_the_views_of_the_same_images():
    """MixedAE-Full, V = 3 views of B = 8 images (so V != B / G): contrastive
    row g holds the mixed images of group g of views 0, 1, 2 in order, and
    the id of every slot is the image shown there."""
    model = build_model()
    full = MODELS.build(
        dict(type='MixedAEFull', num_views=3, backbone=model.backbone,
             neck=model.neck, head=model.head))
    views = [torch.randn(B, 3, IMG, IMG) for _ in range(3)]
    losses, seen = run_and_capture(full, views)
    latent, mask = seen['latent'], seen['mask']
    groups = B // G
    assert mask.shape == (3 * groups, N)
    assert seen['features'].shape == (groups, 3 * N, DIM)
    for g in range(groups):
        for v in range(3):
            s = v * groups + g  # view-major: view v's group g
            assert torch.equal(seen['features'][g, v * N:(v + 1) * N],
                               latent[s, 1:])
            for n in range(N):
                assert int(seen['ids'][g, v * N + n]) == g * G + int(
                    mask[s, n])
    assert set(losses) == {'loss_rec', 'loss_hc', 'homo_acc'}
