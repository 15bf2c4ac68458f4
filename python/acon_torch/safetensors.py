"""The safetensors format (huggingface/safetensors), read and written without the pip package:
an 8-byte little-endian header length n, n bytes of JSON {name: {dtype, shape, data_offsets:
[begin, end]}, "__metadata__": {str: str}}, then the tensors' little-endian bytes."""
import json
import os
import struct

import torch

DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
          "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}
NAMES = {v: k for k, v in DTYPES.items()}


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: tensor} atomically (a temporary file, then a rename); names sorted."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        if t.dtype not in NAMES:
            raise ValueError(f"{path}: tensor '{name}' has dtype {t.dtype}, which safetensors cannot store")
        data = t.numpy().astype(t.numpy().dtype.newbyteorder("<"), copy=False).tobytes() if t.dtype != torch.bfloat16 \
            else t.view(torch.int16).numpy().astype("<i2").tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for b in blobs:
                f.write(b)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def read_safetensors(path):
    """{name: tensor} of a safetensors file; errors name the file and the tensor."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: {len(raw)} bytes, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} runs past the end of the file ({len(raw)} bytes)")
    try:
        header = json.loads(raw[8:8 + n])
    except ValueError as e:
        raise ValueError(f"{path}: header is not JSON ({e})") from None
    body = memoryview(raw)[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = DTYPES.get(info.get("dtype"))
        if dtype is None:
            raise ValueError(f"{path}: tensor '{name}' has unknown dtype {info.get('dtype')!r}")
        begin, end = info["data_offsets"]
        shape = info["shape"]
        numel = 1
        for d in shape:
            numel *= d
        itemsize = torch.empty((), dtype=dtype).element_size()
        if end - begin != numel * itemsize or end > len(body):
            raise ValueError(f"{path}: tensor '{name}' of shape {shape} {info['dtype']} has data_offsets {[begin, end]} "
                             f"({end - begin} bytes; the data section has {len(body)})")
        out[name] = torch.frombuffer(bytearray(body[begin:end]), dtype=dtype).reshape(shape) if numel else torch.empty(shape, dtype=dtype)
    return out
