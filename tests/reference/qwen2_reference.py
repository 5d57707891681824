#!/usr/bin/env python3
"""Independent reference for the C++ Qwen2 + CAD-Recode point encoder (tests/model-test.cpp).

Written from the Hugging Face definitions (transformers' modeling_qwen2.py: Qwen2RMSNorm,
Qwen2RotaryEmbedding, rotate_half/apply_rotary_pos_emb, repeat_kv, eager attention with the causal mask at
torch.finfo(dtype).min and softmax in float32, Qwen2MLP; CAD-Recode v1.5's FourierPointEncoder from its
demo notebook) with plain torch only: Debian's python3-torch, no transformers, no safetensors package.

It builds a tiny random model, writes it as config.json + model.safetensors (F32), and writes the inputs
and outputs to expected.safetensors:
  points          (2, 256, 3) F32  two point clouds in [-1, 1]
  tokens          (2, 9)      I64  <|im_start|> then 8 teacher-forced ids; the sequence is points + tokens
  positions       (P,)        I64  sequence positions whose logits are recorded
  logits          (2, P, V)   F32  fp32 model
  logits_bf16     (2, P, V)   F32  the same with the decoder in bf16 (point encoder fp32)
  greedy          (2, 24)     I64  greedy continuation after points + <|im_start|>, -1 after the eos
  greedy_bf16     (2, 24)     I64  the same in bf16
Greedy decoding here recomputes the whole sequence at every step (no cache), so it checks the C++ cache.

Usage: /usr/bin/python3 tests/reference/qwen2_reference.py [OUT_DIR]   (default tests/data/tiny-qwen2)
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

CONFIG = {
    "architectures": ["CADRecode"],
    "model_type": "qwen2",
    "hidden_act": "silu",
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "intermediate_size": 128,
    "vocab_size": 300,
    "max_position_embeddings": 1024,
    "rope_theta": 1000000.0,
    "rms_norm_eps": 1e-06,
    "tie_word_embeddings": True,
    "torch_dtype": "float32",
    "use_sliding_window": False,
    "bos_token_id": 297,
    "eos_token_id": 297,
}
EOS, START, SLOT = 297, 298, 299
N_POINTS, NEW_TOKENS = 256, 24


def rms_norm(x, w, eps):
    dtype = x.dtype
    h = x.to(torch.float32)
    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
    return w * h.to(dtype)


def rotary(position_ids, dim, base, dtype):
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    inv = inv_freq[None, :, None].float().expand(position_ids.shape[0], -1, 1)
    freqs = (inv @ position_ids[:, None, :].float()).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def repeat_kv(x, n_rep):
    b, kvh, s, d = x.shape
    if n_rep == 1:
        return x
    return x[:, :, None, :, :].expand(b, kvh, n_rep, s, d).reshape(b, kvh * n_rep, s, d)


def attention(p, i, x, cos, sin, mask, cfg):
    b, t, _ = x.shape
    h, kvh = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    d = cfg["hidden_size"] // h
    pre = f"model.layers.{i}.self_attn."
    q = F.linear(x, p[pre + "q_proj.weight"], p[pre + "q_proj.bias"]).view(b, t, h, d).transpose(1, 2)
    k = F.linear(x, p[pre + "k_proj.weight"], p[pre + "k_proj.bias"]).view(b, t, kvh, d).transpose(1, 2)
    v = F.linear(x, p[pre + "v_proj.weight"], p[pre + "v_proj.bias"]).view(b, t, kvh, d).transpose(1, 2)
    cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
    q = q * cos + rotate_half(q) * sin
    k = k * cos + rotate_half(k) * sin
    k, v = repeat_kv(k, h // kvh), repeat_kv(v, h // kvh)
    w = torch.matmul(q, k.transpose(2, 3)) * (d ** -0.5)
    w = w + mask
    w = F.softmax(w, dim=-1, dtype=torch.float32).to(q.dtype)
    o = torch.matmul(w, v).transpose(1, 2).reshape(b, t, h * d)
    return F.linear(o, p[pre + "o_proj.weight"])


def mlp(p, i, x):
    pre = f"model.layers.{i}.mlp."
    return F.linear(F.silu(F.linear(x, p[pre + "gate_proj.weight"])) * F.linear(x, p[pre + "up_proj.weight"]),
                    p[pre + "down_proj.weight"])


def point_encoder(p, points):
    freqs = 2.0 ** torch.arange(8, dtype=torch.float32)
    x = (points.unsqueeze(-1) * freqs).view(*points.shape[:-1], -1)
    x = torch.cat((points, x.sin(), x.cos()), dim=-1)
    return F.linear(x, p["point_encoder.projection.weight"], p["point_encoder.projection.bias"])


def forward(p, cfg, points, tokens, dtype):
    """Logits (B, N+T, V) float32 for the sequence [point slots, tokens] (CADRecode.forward, no cache)."""
    q = {k: (v if k.startswith("point_encoder.") else v.to(dtype)) for k, v in p.items()}
    b = points.shape[0]
    # As CADRecode: embed_tokens over [SLOT]*N + tokens, slot rows replaced by the point embeddings.
    ids = torch.cat([torch.full((b, points.shape[1]), SLOT, dtype=torch.int64), tokens], 1)
    x = F.embedding(ids, q["model.embed_tokens.weight"])
    slots = torch.zeros_like(ids, dtype=torch.bool)
    slots[:, : points.shape[1]] = True
    x[slots] = point_encoder(p, points).to(dtype).reshape(-1, x.shape[-1])
    t = ids.shape[1]
    pos = torch.arange(t)[None].expand(b, t)
    cos, sin = rotary(pos, cfg["hidden_size"] // cfg["num_attention_heads"], cfg["rope_theta"], dtype)
    mask = torch.full((t, t), torch.finfo(dtype).min, dtype=dtype).triu(1)[None, None]
    for i in range(cfg["num_hidden_layers"]):
        x = x + attention(q, i, rms_norm(x, q[f"model.layers.{i}.input_layernorm.weight"], cfg["rms_norm_eps"]),
                          cos, sin, mask, cfg)
        x = x + mlp(q, i, rms_norm(x, q[f"model.layers.{i}.post_attention_layernorm.weight"], cfg["rms_norm_eps"]))
    x = rms_norm(x, q["model.norm.weight"], cfg["rms_norm_eps"])
    return F.linear(x, q["model.embed_tokens.weight"]).float()


def greedy(p, cfg, points, dtype):
    b = points.shape[0]
    seq = torch.full((b, 1), START, dtype=torch.int64)
    out = torch.full((b, NEW_TOKENS), -1, dtype=torch.int64)
    done = [False] * b
    for step in range(NEW_TOKENS):
        nxt = forward(p, cfg, points, seq, dtype)[:, -1].argmax(-1)
        for i in range(b):
            if not done[i]:
                out[i, step] = nxt[i]
                done[i] = bool(nxt[i] == EOS)
        seq = torch.cat([seq, nxt[:, None]], 1)
    return out


def random_params(cfg, gen):
    c, h, kvh = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    d, m, v = c // h, cfg["intermediate_size"], cfg["vocab_size"]
    shapes = {"model.embed_tokens.weight": (v, c)}
    for i in range(cfg["num_hidden_layers"]):
        pre = f"model.layers.{i}."
        shapes.update({
            pre + "self_attn.q_proj.weight": (h * d, c), pre + "self_attn.q_proj.bias": (h * d,),
            pre + "self_attn.k_proj.weight": (kvh * d, c), pre + "self_attn.k_proj.bias": (kvh * d,),
            pre + "self_attn.v_proj.weight": (kvh * d, c), pre + "self_attn.v_proj.bias": (kvh * d,),
            pre + "self_attn.o_proj.weight": (c, h * d),
            pre + "mlp.gate_proj.weight": (m, c), pre + "mlp.up_proj.weight": (m, c),
            pre + "mlp.down_proj.weight": (c, m),
            pre + "input_layernorm.weight": (c,), pre + "post_attention_layernorm.weight": (c,),
        })
    shapes["model.norm.weight"] = (c,)
    shapes["point_encoder.projection.weight"] = (c, 51)
    shapes["point_encoder.projection.bias"] = (c,)
    p = {}
    for name, shape in shapes.items():
        if name.endswith("norm.weight"):
            p[name] = 1.0 + 0.1 * torch.randn(shape, generator=gen)  # not all ones, so the weight is tested
        elif name.startswith("point_encoder."):
            p[name] = 0.3 * torch.randn(shape, generator=gen)
        else:
            # Larger than Qwen2's 0.02 so logits spread and greedy choices have margins.
            p[name] = (0.3 if len(shape) == 2 else 0.05) * torch.randn(shape, generator=gen)
    return p


def write_safetensors(path, tensors):
    codes = {torch.float32: "F32", torch.int64: "I64"}
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.contiguous().numpy().tobytes()  # little-endian on the hosts this runs on
        header[name] = {"dtype": codes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(path + ".tmp", path)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "data", "tiny-qwen2")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(20250601)
    p = random_params(CONFIG, gen)
    points = torch.rand((2, N_POINTS, 3), generator=gen) * 2 - 1
    tokens = torch.cat([torch.full((2, 1), START, dtype=torch.int64),
                        torch.randint(0, 297, (2, 8), generator=gen)], 1)
    positions = torch.tensor([0, 1, 128, 255] + list(range(N_POINTS, N_POINTS + tokens.shape[1])), dtype=torch.int64)
    with torch.no_grad():
        logits = forward(p, CONFIG, points, tokens, torch.float32)[:, positions]
        logits_bf16 = forward(p, CONFIG, points, tokens, torch.bfloat16)[:, positions]
        g32 = greedy(p, CONFIG, points, torch.float32)
        g16 = greedy(p, CONFIG, points, torch.bfloat16)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
        f.write("\n")
    write_safetensors(os.path.join(out, "model.safetensors"), p)
    write_safetensors(os.path.join(out, "expected.safetensors"), {
        "points": points, "tokens": tokens, "positions": positions, "logits": logits,
        "logits_bf16": logits_bf16, "greedy": g32, "greedy_bf16": g16})
    print("greedy fp32", g32.tolist())
    print("greedy bf16", g16.tolist())
    top2 = logits.topk(2, -1).values
    print("smallest top-1/top-2 logit margin at recorded positions: %.4f" % float((top2[..., 0] - top2[..., 1]).min()))


if __name__ == "__main__":
    main()
