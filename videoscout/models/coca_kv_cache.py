"""Incremental decoding for open_clip's CoCa: each step runs only the new token of each row
through both text towers, against cached keys and values.

open_clip's ``TextTransformer`` and ``MultimodalTransformer`` take whole sequences only, so this
walks their blocks with their own weights. Every self-attention layer keeps its keys and values
per row; the decoder's cross-attention keys and values over the image tokens are computed once
per image. A row is a frame being decoded or one beam of a frame: rows may stand at different
positions (prompts of different lengths), and the beams of one frame share its image's keys.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def supports_kv_cache(model) -> bool:
    """True when every block is one this module can walk: open_clip's plain
    ``ResidualAttentionBlock`` around ``nn.MultiheadAttention`` and a causal text tower. The
    Hugging Face text towers and the ``custom`` blocks (qk-norm, scaled cosine) are not."""
    from open_clip.transformer import (
        MultimodalTransformer,
        ResidualAttentionBlock,
        TextTransformer,
    )

    text, decoder = getattr(model, "text", None), getattr(model, "text_decoder", None)
    if not isinstance(text, TextTransformer) or not isinstance(decoder, MultimodalTransformer):
        return False
    if text.attn_mask is None or not (text.transformer.batch_first and decoder.batch_first):
        return False
    blocks = [*text.transformer.resblocks, *decoder.resblocks, *decoder.cross_attn]
    return all(type(b) is ResidualAttentionBlock and _plain(b.attn) for b in blocks)


def _plain(attn: nn.Module) -> bool:
    return (
        isinstance(attn, nn.MultiheadAttention)
        and attn._qkv_same_embed_dim
        and attn.batch_first
        and attn.bias_k is None
        and not attn.add_zero_attn
    )


class CocaKVCache:
    """The decoding state of one batch of images: ``prefill`` the prompts, then ``step`` one
    token per row; ``keep`` drops finished rows and makes beams follow their parents."""

    def __init__(self, model, image_embs: torch.Tensor, capacity: int) -> None:
        """``image_embs``: the image tokens from ``model._encode_image``, one row per image;
        ``capacity``: the most positions (prompt and generated) any row will need."""
        self.text = model.text
        self.decoder = model.text_decoder
        rows, device = len(image_embs), image_embs.device
        self.dtype = self.text.transformer.get_cast_dtype()
        # With a class token the text tower hides the key after each pad token from every
        # query (open_clip's legacy mask; the corrected one hides the pad token itself), and
        # generated text may contain that token: the cache must hide the same keys.
        self.pad_id = self.text.pad_id if self.text.cls_emb is not None else None
        self.pad_hides_next = not getattr(self.text, "correct_cls_mask", False)
        self.cross = [_image_keys_values(b, image_embs) for b in self.decoder.cross_attn]
        blocks = [*self.text.transformer.resblocks, *self.decoder.resblocks]
        self.self_kv = [
            _empty_keys_values(b.attn, rows, capacity, self.dtype, device) for b in blocks
        ]
        self.text_visible = torch.zeros(rows, capacity, dtype=torch.bool, device=device)
        self.decoder_visible = torch.zeros_like(self.text_visible)
        self.length = torch.zeros(rows, dtype=torch.long, device=device)
        self.last_token = torch.full((rows,), -1, dtype=torch.long, device=device)
        # Rows -> images: image index and the row's place among that image's rows.
        self.image = torch.arange(rows, device=device)
        self.slot = torch.zeros(rows, dtype=torch.long, device=device)
        self.slots = 1
        self.one_row_per_image = True

    @property
    def rows(self) -> int:
        return len(self.length)

    def prefill(self, prefixes: Sequence[Sequence[int]]) -> torch.Tensor:
        """Run every row's prompt at once (right-padded); the next-token logits per row."""
        device = self.length.device
        counts = torch.tensor([len(p) for p in prefixes], device=device)
        width = int(counts.max())
        padded = [[*p, *[0] * (width - len(p))] for p in prefixes]
        return self._forward(torch.tensor(padded, device=device), counts)

    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        """Append one token per row; the next-token logits per row (float32)."""
        return self._forward(tokens[:, None], torch.ones_like(tokens))

    def keep(self, parents: torch.Tensor) -> None:
        """Continue with rows ``parents`` (indices into the current rows, repeats allowed), in
        that order. Images without rows left are dropped from the cross-attention cache."""
        self.self_kv = [
            (k.index_select(0, parents), v.index_select(0, parents)) for k, v in self.self_kv
        ]
        for name in ("text_visible", "decoder_visible", "length", "last_token", "image"):
            setattr(self, name, getattr(self, name).index_select(0, parents))
        used = torch.unique(self.image)  # sorted
        if len(used) < len(self.cross[0][0]):
            self.cross = [(k.index_select(0, used), v.index_select(0, used)) for k, v in self.cross]
            self.image = torch.searchsorted(used, self.image)
        images = len(used)
        seen = F.one_hot(self.image, images).cumsum(0)
        self.slot = seen.gather(1, self.image[:, None])[:, 0] - 1
        self.slots = int(self.slot.max()) + 1
        identity = torch.arange(self.rows, device=self.image.device)
        self.one_row_per_image = self.rows == images and torch.equal(self.image, identity)

    @torch.inference_mode()
    def _forward(self, tokens: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
        rows, width = tokens.shape
        offsets = torch.arange(width, device=tokens.device)
        positions = self.length[:, None] + offsets  # (rows, width)
        self._mark_visible(tokens, positions, offsets[None, :] < counts[:, None])
        capacity = self.text_visible.shape[1]
        causal = torch.arange(capacity, device=tokens.device) <= positions[:, :, None]
        text_mask = (self.text_visible[:, None, :] & causal)[:, None]  # (rows, 1, width, cap)
        decoder_mask = (self.decoder_visible[:, None, :] & causal)[:, None]

        text = self.text
        x = text.token_embedding(tokens).to(self.dtype)
        x = x + text.positional_embedding[positions].to(self.dtype)
        layers = len(text.transformer.resblocks)
        for block, cache in zip(text.transformer.resblocks, self.self_kv[:layers], strict=True):
            x = _self_attention_block(block, x, cache, positions, text_mask)
        if text.cls_emb is None:  # without a class token the tower's tokens are normalised
            x = text.ln_final(x)
        decoder = self.decoder
        for block, cross_block, cache, (keys, values) in zip(
            decoder.resblocks, decoder.cross_attn, self.self_kv[layers:], self.cross, strict=True
        ):
            x = _self_attention_block(block, x, cache, positions, decoder_mask)
            x = self._cross_attention_block(cross_block, x, keys, values)

        last = counts - 1
        every = torch.arange(rows, device=tokens.device)
        self.length = self.length + counts
        self.last_token = tokens[every, last]
        out = decoder.ln_final(x[every, last])
        return (out @ decoder.text_projection).float()

    def _mark_visible(self, tokens, positions, real) -> None:
        every = torch.arange(len(tokens), device=tokens.device)[:, None]
        self.decoder_visible[every, positions] = real
        visible = real
        if self.pad_id is not None:
            if self.pad_hides_next:
                before = torch.cat([self.last_token[:, None], tokens[:, :-1]], dim=1)
                visible = real & (before != self.pad_id)
            else:
                visible = real & (tokens != self.pad_id)
        self.text_visible[every, positions] = visible

    def _cross_attention_block(self, block, x, keys, values) -> torch.Tensor:
        attn = block.attn
        width = attn.embed_dim
        bias = None if attn.in_proj_bias is None else attn.in_proj_bias[:width]
        q = _split_heads(F.linear(block.ln_1(x), attn.in_proj_weight[:width], bias), attn)
        if self.one_row_per_image:
            out = F.scaled_dot_product_attention(q, keys, values)
        else:
            # The rows of one image (its beams) become that image's query positions: no
            # copies of its keys and values per row.
            grouped = q.new_zeros(len(keys), q.shape[1], self.slots, q.shape[-1])
            grouped[self.image, :, self.slot] = q[:, :, 0]
            out = F.scaled_dot_product_attention(grouped, keys, values)
            out = out[self.image, :, self.slot][:, :, None]
        x = x + block.ls_1(attn.out_proj(_merge_heads(out)))
        return x + block.ls_2(block.mlp(block.ln_2(x)))


def _self_attention_block(block, x, cache, positions, mask) -> torch.Tensor:
    attn = block.attn
    q, k, v = F.linear(block.ln_1(x), attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
    keys, values = cache
    rows, width, _ = x.shape
    every = torch.arange(rows, device=x.device)[:, None]
    keys[every, :, positions] = k.reshape(rows, width, attn.num_heads, -1)
    values[every, :, positions] = v.reshape(rows, width, attn.num_heads, -1)
    out = F.scaled_dot_product_attention(_split_heads(q, attn), keys, values, attn_mask=mask)
    x = x + block.ls_1(attn.out_proj(_merge_heads(out)))
    return x + block.ls_2(block.mlp(block.ln_2(x)))


def _image_keys_values(block, image_embs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    attn = block.attn
    width = attn.embed_dim
    image = block.ln_1_kv(image_embs)
    bias = attn.in_proj_bias
    k = F.linear(image, attn.in_proj_weight[width : 2 * width], _part(bias, 1, width))
    v = F.linear(image, attn.in_proj_weight[2 * width :], _part(bias, 2, width))
    return _split_heads(k, attn), _split_heads(v, attn)


def _part(bias: torch.Tensor | None, index: int, width: int) -> torch.Tensor | None:
    return None if bias is None else bias[index * width : (index + 1) * width]


def _empty_keys_values(attn, rows, capacity, dtype, device) -> tuple[torch.Tensor, torch.Tensor]:
    shape = (rows, attn.num_heads, capacity, attn.head_dim)
    return torch.zeros(shape, dtype=dtype, device=device), torch.zeros(
        shape, dtype=dtype, device=device
    )


def _split_heads(x: torch.Tensor, attn) -> torch.Tensor:
    rows, width, _ = x.shape
    return x.reshape(rows, width, attn.num_heads, -1).transpose(1, 2)


def _merge_heads(x: torch.Tensor) -> torch.Tensor:
    rows, _, width, _ = x.shape
    return x.transpose(1, 2).reshape(rows, width, -1)
