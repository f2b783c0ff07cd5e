"""Rewrite a reader folder's weights in int8 storage (``qa.reader.model.write_weights``: an encoder
layer's linear weights in int8 rounded as the int8 ONNX export rounds them, the rest in fp16).

    .venv/bin/python -m training.store_int8 qa/reader/weights

The int8 ONNX export rebuilt from the stored weights is the one exported from the fp16 file
(docs/evaluation.md); the file's hash changes, so retrain the probe (``training.answerability
--weights DIR``) and recalibrate (``training.calibrate``) after.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qa.hashing import file_sha256
from qa.reader.model import MANIFEST_FILE, STORED_DTYPE, WEIGHTS_FILE, read_weights, write_weights


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a reader folder (reader.safetensors and manifest.json)")
    args = parser.parse_args()
    path = args.folder / WEIGHTS_FILE
    if not path.is_file() or not (args.folder / MANIFEST_FILE).is_file():
        parser.error(f"{args.folder} holds no reader ({WEIGHTS_FILE} and {MANIFEST_FILE})")
    before, before_sha256 = path.stat().st_size, file_sha256(path)
    write_weights(read_weights(path), path)
    manifest_path = args.folder / MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text())
    manifest["dtype"] = STORED_DTYPE
    manifest["stored"] = {"from_sha256": before_sha256, "command": "python -m training.store_int8"}
    manifest_path.write_text(json.dumps(manifest, indent=1))
    print(f"{path}: {before / 1e6:.1f} MB -> {path.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
