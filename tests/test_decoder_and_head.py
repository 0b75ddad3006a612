import pytest
import torch
from test_contrastive_loss import reference_loss

from mixedae_mm.models import MixedAEPretrainDecoder, MixedAEPretrainHead
from mixedae_mm.models.utils import random_mixing_mask, source_visibility


def _decoder():
    torch.manual_seed(0)
    dec = MixedAEPretrainDecoder(
        num_patches=16, patch_size=4, embed_dim=24, decoder_embed_dim=16,
        decoder_depth=1, decoder_num_heads=2)
    dec.init_weights()
    return dec.eval()


def test_decoder_input_positions_are_exactly_the_source_images():
    dec = _decoder()
    mask = random_mixing_mask(2, 16, 4)
    latent = torch.randn(2, 17, 24)
    captured = []
    dec.decoder_blocks[0].register_forward_pre_hook(
        lambda m, args: captured.append(args[0]))
    pred = dec(latent, mask, num_sources=4)
    assert pred.shape == (8, 16, 4 * 4 * 3)

    x = captured[0] - dec.decoder_pos_embed  # (B, N + 1, D_dec)
    embedded = dec.decoder_embed(latent)
    for b in range(8):
        g, i = divmod(b, 4)
        assert torch.allclose(x[b, 0], embedded[g, 0], atol=1e-6)  # cls
        for n in range(16):
            expected = (embedded[g, 1 + n] if mask[g, n] == i else
                        dec.mask_token[0, 0])
            assert torch.allclose(x[b, 1 + n], expected, atol=1e-6)


def test_reconstruction_loss_only_on_hidden_positions():
    head = MixedAEPretrainHead(
        loss=dict(type='PixelReconstructionLoss', criterion='L2'),
        norm_pix=False, patch_size=4)
    imgs = torch.randn(4, 3, 8, 8)
    target = head.construct_target(imgs)  # (4, 4, 48)
    mask = torch.tensor([[0, 1, 2, 3]])
    hidden = ~source_visibility(mask, 4)
    pred = target.clone()
    pred[hidden] += 1.0  # error 1 on every hidden patch
    pred[~hidden] += 100.0  # huge error on shown patches: must be ignored
    losses = head.loss(pred, imgs, hidden, torch.randn(1, 4, 8), mask)
    assert set(losses) == {'loss_rec'}
    assert losses['loss_rec'].item() == torch.tensor(1.0).item()


def test_head_adds_contrastive_loss_when_configured():
    head = MixedAEPretrainHead(
        loss=dict(type='PixelReconstructionLoss', criterion='L2'),
        loss_hc=dict(type='HomologousContrastiveLoss', temperature=0.25,
                     loss_weight=0.5),
        patch_size=4)
    imgs = torch.randn(4, 3, 8, 8)
    mask = torch.tensor([[0, 1, 2, 3]])
    features, ids = torch.randn(1, 4, 8), torch.tensor([[0, 0, 1, 1]])
    losses = head.loss(torch.randn(4, 4, 48), imgs,
                       ~source_visibility(mask, 4), features, ids)
    assert set(losses) == {'loss_rec', 'loss_hc'}
    # the loss of the features and ids it was given, times loss_weight
    assert losses['loss_hc'].item() == pytest.approx(
        0.5 * reference_loss(features, ids, 0.25), rel=1e-5)


def test_predictions_are_the_patch_positions_not_the_cls_one():
    dec = _decoder()
    mask = random_mixing_mask(2, 16, 4)
    outputs = []
    dec.decoder_pred.register_forward_hook(
        lambda m, args, out: outputs.append(out))
    pred = dec(torch.randn(2, 17, 24), mask, num_sources=4)
    assert outputs[0].shape == (8, 17, 4 * 4 * 3)  # cls + 16 patches
    assert torch.equal(pred, outputs[0][:, 1:])
