"""Rebuild an openai-whisper checkpoint (.pt) from a CTranslate2 Whisper model.

openai-whisper downloads its weights from a CDN, which fails offline; no PyPI package ships
them. The bundled CTranslate2 model holds the same tensors under other names (its
`model.bin` header lists every variable), so the checkpoint can be rebuilt exactly:
names are mapped, fused q/k/v projections split, and the key projections, which have no
bias in Whisper, checked to carry a zero bias. `whisper.load_model(path)` then loads it
with every key matching (strict).
"""

from __future__ import annotations

import json
import logging
import os
import re
import struct
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.errors import ModelError, ModelUnavailableError

logger = logging.getLogger(__name__)

__all__ = ["export_openai_checkpoint", "read_ct2_variables"]

# CTranslate2's DataType enum order (include/ctranslate2/types.h).
_CT2_DTYPES = (np.float32, np.int8, np.int16, np.int32, np.float16, None)  # None: bfloat16


def read_ct2_variables(model_bin: Path) -> dict[str, np.ndarray]:
    """Every variable of a CTranslate2 `model.bin` (binary version 6), aliases resolved."""
    data = memoryview(model_bin.read_bytes())
    offset = 0

    def take(fmt: str) -> Any:
        nonlocal offset
        (value,) = struct.unpack_from(fmt, data, offset)
        offset += struct.calcsize(fmt)
        return value

    def text() -> str:
        nonlocal offset
        length = take("H")  # includes the trailing NUL
        value = bytes(data[offset : offset + length - 1]).decode("utf-8")
        offset += length
        return value

    version = take("I")
    if version != 6:
        raise ModelError(f"{model_bin}: CTranslate2 binary version {version}, expected 6")
    spec = text()
    if spec != "WhisperSpec":
        raise ModelError(f"{model_bin}: a {spec}, not a Whisper model")
    take("I")  # spec revision
    variables: dict[str, np.ndarray] = {}
    for _ in range(take("I")):
        name = text()
        shape = tuple(take("I") for _ in range(take("B")))
        dtype = _CT2_DTYPES[take("B")]
        size = take("I")
        if dtype is None:
            raise ModelError(f"{model_bin}: bfloat16 variables are not supported")
        raw = np.frombuffer(data[offset : offset + size], dtype=dtype)
        variables[name] = raw.reshape(shape) if shape else raw
        offset += size
    for _ in range(take("I")):
        alias, target = text(), text()
        variables[alias] = variables[target]
    return variables


@dataclass(frozen=True)
class _Dims:
    """openai-whisper's ModelDimensions, derived from the tensors themselves."""

    n_mels: int
    n_audio_ctx: int
    n_audio_state: int
    n_audio_head: int
    n_audio_layer: int
    n_vocab: int
    n_text_ctx: int
    n_text_state: int
    n_text_head: int
    n_text_layer: int


def _layers(variables: dict[str, np.ndarray], prefix: str) -> int:
    found = {int(m.group(1)) for k in variables if (m := re.match(rf"{prefix}/layer_(\d+)/", k))}
    return max(found) + 1


def _dims(v: dict[str, np.ndarray]) -> _Dims:
    conv1 = v["encoder/conv1/weight"]
    enc_pos = v["encoder/position_encodings/encodings"]
    dec_pos = v["decoder/position_encodings/encodings"]
    return _Dims(
        n_mels=int(conv1.shape[1]),
        n_audio_ctx=int(enc_pos.shape[0]),
        n_audio_state=int(enc_pos.shape[1]),
        n_audio_head=int(v["encoder/num_heads"].reshape(-1)[0]),
        n_audio_layer=_layers(v, "encoder"),
        n_vocab=int(v["decoder/embeddings/weight"].shape[0]),
        n_text_ctx=int(dec_pos.shape[0]),
        n_text_state=int(dec_pos.shape[1]),
        n_text_head=int(v["decoder/num_heads"].reshape(-1)[0]),
        n_text_layer=_layers(v, "decoder"),
    )


def _linear(out: dict[str, np.ndarray], name: str, v: dict[str, np.ndarray], src: str) -> None:
    out[f"{name}.weight"] = v[f"{src}/weight"]
    out[f"{name}.bias"] = v[f"{src}/bias"]


def _norm(out: dict[str, np.ndarray], name: str, v: dict[str, np.ndarray], src: str) -> None:
    out[f"{name}.weight"] = v[f"{src}/gamma"]
    out[f"{name}.bias"] = v[f"{src}/beta"]


def _split(
    out: dict[str, np.ndarray],
    block: str,
    names: tuple[str, ...],
    v: dict[str, np.ndarray],
    src: str,
) -> None:
    """Split a fused projection (q|k|v or k|v) into Whisper's separate ones."""
    weights = np.split(v[f"{src}/weight"], len(names))
    biases = np.split(v[f"{src}/bias"], len(names))
    for name, weight, bias in zip(names, weights, biases, strict=True):
        out[f"{block}.{name}.weight"] = weight
        if name == "key":
            if np.any(bias):
                raise ModelError(f"{src}: non-zero key bias; not a Whisper model")
        else:
            out[f"{block}.{name}.bias"] = bias


def _block(out: dict[str, np.ndarray], dst: str, v: dict[str, np.ndarray], src: str) -> None:
    """Self-attention and MLP of one residual block (encoder and decoder alike)."""
    _split(out, f"{dst}.attn", ("query", "key", "value"), v, f"{src}/self_attention/linear_0")
    _linear(out, f"{dst}.attn.out", v, f"{src}/self_attention/linear_1")
    _norm(out, f"{dst}.attn_ln", v, f"{src}/self_attention/layer_norm")
    _linear(out, f"{dst}.mlp.0", v, f"{src}/ffn/linear_0")
    _linear(out, f"{dst}.mlp.2", v, f"{src}/ffn/linear_1")
    _norm(out, f"{dst}.mlp_ln", v, f"{src}/ffn/layer_norm")


def _state_dict(v: dict[str, np.ndarray], dims: _Dims) -> dict[str, np.ndarray]:
    sd: dict[str, np.ndarray] = {}
    _linear(sd, "encoder.conv1", v, "encoder/conv1")
    _linear(sd, "encoder.conv2", v, "encoder/conv2")
    sd["encoder.positional_embedding"] = v["encoder/position_encodings/encodings"]
    for i in range(dims.n_audio_layer):
        _block(sd, f"encoder.blocks.{i}", v, f"encoder/layer_{i}")
    _norm(sd, "encoder.ln_post", v, "encoder/layer_norm")

    sd["decoder.token_embedding.weight"] = v["decoder/embeddings/weight"]
    sd["decoder.positional_embedding"] = v["decoder/position_encodings/encodings"]
    for i in range(dims.n_text_layer):
        src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        _block(sd, dst, v, src)
        _linear(sd, f"{dst}.cross_attn.query", v, f"{src}/attention/linear_0")
        _split(sd, f"{dst}.cross_attn", ("key", "value"), v, f"{src}/attention/linear_1")
        _linear(sd, f"{dst}.cross_attn.out", v, f"{src}/attention/linear_2")
        _norm(sd, f"{dst}.cross_attn_ln", v, f"{src}/attention/layer_norm")
    _norm(sd, "decoder.ln", v, "decoder/layer_norm")
    return sd


def export_openai_checkpoint(ct2_dir: Path, target: Path) -> Path:
    """Write `target` (.pt) from the CTranslate2 model in `ct2_dir`; returns `target`.

    The checkpoint also records the model's alignment heads (for word timestamps) under
    `ridealong_alignment_heads`, which openai-whisper ignores when loading.
    """
    try:
        import torch
    except ImportError as e:
        raise ModelUnavailableError(
            "the openai-whisper engine needs torch: pip install torch==2.13.0 "
            "&& pip install --no-deps openai-whisper==20250625"
        ) from e
    variables = read_ct2_variables(ct2_dir / "model.bin")
    dims = _dims(variables)
    state = {
        k: torch.from_numpy(np.array(a, dtype=np.float16))
        for k, a in _state_dict(variables, dims).items()
    }
    config = json.loads((ct2_dir / "config.json").read_text())
    checkpoint = {
        "dims": asdict(dims),
        "model_state_dict": state,
        "ridealong_alignment_heads": config.get("alignment_heads"),
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        torch.save(checkpoint, staging)
        staging.replace(target)
    finally:
        staging.unlink(missing_ok=True)  # 145 MB left behind where the rename failed
    logger.info("exported %s (%d tensors) to %s", ct2_dir.name, len(state), target)
    return target
