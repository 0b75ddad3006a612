"""HomologousTransformerEncoderLayer against mmpretrain's plain ViT layer
with the same weights, and its TopK block against one written out here."""
import torch
from mmpretrain.models.backbones.vision_transformer import \
    TransformerEncoderLayer
from test_reference_equivalence import reference_attention

from mixedae_mm.models import HomologousTransformerEncoderLayer

DIM, HEADS, N = 32, 4, 16


def layers(topk):
    torch.manual_seed(0)
    ours = HomologousTransformerEncoderLayer(
        embed_dims=DIM, num_heads=HEADS, feedforward_channels=2 * DIM,
        topk=topk)
    plain = TransformerEncoderLayer(
        embed_dims=DIM, num_heads=HEADS, feedforward_channels=2 * DIM)
    plain.load_state_dict(ours.state_dict(), strict=True)
    return ours.eval(), plain.eval()


def test_with_every_key_kept_it_is_the_plain_layer():
    ours, plain = layers(topk=N)
    x = torch.randn(2, 1 + N, DIM)
    out, acc = ours.forward_homologous(x, torch.tensor([[0, 1] * 8] * 2))
    torch.testing.assert_close(out, plain(x))
    assert acc is not None


def test_called_as_a_module_it_is_the_plain_layer_whatever_topk():
    ours, plain = layers(topk=2)
    x = torch.randn(2, 1 + N, DIM)
    torch.testing.assert_close(ours(x), plain(x))


def test_topk_block_by_hand():
    """Pre-norm block: y = x + TopK-attention(ln1(x)), out = y +
    FFN(ln2(y)); the attention is the test's sort-based reference."""
    ours, plain = layers(topk=4)
    x = torch.randn(2, 1 + N, DIM)
    out, acc = ours.forward_homologous(x)
    assert acc is None
    with torch.no_grad():
        y = x + reference_attention(ours.attn, plain.ln1(x))
        expected = plain.ffn(plain.ln2(y), identity=y)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    # TopK matters here: the plain layer gives something else
    assert not torch.allclose(out, plain(x), atol=1e-3)
