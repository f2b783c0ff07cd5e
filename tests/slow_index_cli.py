"""`python -m tests.slow_index_cli index ...`: the real CLI with a slow fake embedder, so a test
can kill it in the middle of embedding. It touches $MARKER when embedding has started."""

import os
import sys
import time
from pathlib import Path

from embeddings.models import register_embedder
from tests.conftest import FakeEmbedder
from ui.cli import main


class SlowEmbedder(FakeEmbedder):
    def embed_batch(self, texts, kind):
        if kind == "passage":
            Path(os.environ["MARKER"]).touch()
            time.sleep(0.5)
        return super().embed_batch(texts, kind)


register_embedder("fake", lambda cache_dir, device: SlowEmbedder())

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
