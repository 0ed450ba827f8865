"""The PyTorch peer of `npm run bench:peers` (bench/peers/peers.bench.ts starts it once and drives it round by round).

    python3 bench/peers/torch_peer.py DIR

DIR is written by the Node side: manifest.json (the architecture, each tensor's file and shape in layout.ts's names,
each sentence set's files) and raw little-endian files: tensors f32, sentence sets as i32 (lengths, then the char ids
and the word ids of all sentences end to end). The network is cner's (src/model/layout.ts) built from PyTorch's own
modules: nn.Embedding char + word concatenated, one bidirectional nn.LSTM a layer (time-major [T x B x In]), then
nn.Linear. layout.ts's gate order is PyTorch's (i, f, g, o), so the rows are copied as they are; layout.ts's one bias
(b_ih + b_hh) goes to bias_ih, bias_hh is zero. f32, torch.set_num_threads(1), torch.inference_mode().
Sentences are grouped by exact length (one batch a length, no padding), as for the ONNX peers. Viterbi: a plain numpy
Viterbi in f64 (ties to the lowest index, as test/reference/reference.ts refViterbi), over a length group at once.

Commands, one a line on stdin; one JSON line answers each on stdout:
    check        emissions [T x K] of the 'check' set, f32, end to end, to DIR/check.emissions.f32, and their
                 Viterbi paths to DIR/check.paths.i32 (the Node side compares them): {"written": n}
    round        emissions + Viterbi of every sentence of the 'all' set: {"cpu_ms": process CPU time of it all,
                 "viterbi_ms": the part of it in Viterbi}
    latency W N  the 's64' sentence W times untimed, then N timed: {"p50_ms": median process CPU time of one}
    quit         (or end of input) exits
The first line out, once the network is built: {"ready": true, "torch": version, "threads": n, "blas": the BLAS
library loaded: "OpenBLAS", "reference BLAS" (Debian's libblas3, several times slower), or the library files}.
"""

import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)
torch.set_num_interop_threads(1)


def load(directory, name):
    with open(os.path.join(directory, name), "rb") as f:
        return f.read()


def f32(directory, name, shape):
    a = np.frombuffer(load(directory, name), dtype="<f4")
    if a.size != int(np.prod(shape)):
        raise ValueError(f"{name}: {a.size} values, expected {shape}")
    return a.reshape(shape).astype(np.float32)


def sentence_set(directory, files):
    """list of (chars, words), int64 arrays of one sentence each"""
    lengths = np.frombuffer(load(directory, files["lengths"]), dtype="<i4")
    chars = np.frombuffer(load(directory, files["chars"]), dtype="<i4").astype(np.int64)
    words = np.frombuffer(load(directory, files["words"]), dtype="<i4").astype(np.int64)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    return [(chars[s:e], words[s:e]) for s, e in zip(starts, ends)]


def by_length(sentences):
    """{T: [indices of the sentences of length T]}, in order of first appearance"""
    groups = {}
    for i, (c, _) in enumerate(sentences):
        groups.setdefault(len(c), []).append(i)
    return groups


class Net(nn.Module):
    """cner's BiLSTM (src/model/layout.ts) without the CRF: ids [T x B] -> emissions [T x B x tags]"""

    def __init__(self, arch, tensors):
        super().__init__()
        self.char = nn.Embedding(arch["charVocab"], arch["charDim"])
        self.word = nn.Embedding(arch["wordVocab"], arch["wordDim"])
        in_size = arch["charDim"] + arch["wordDim"]
        self.lstms = nn.ModuleList()
        for H in arch["lstm"]:
            self.lstms.append(nn.LSTM(in_size, H, bidirectional=True))
            in_size = 2 * H
        self.dense = nn.Linear(in_size, arch["tags"])
        with torch.no_grad():
            self.char.weight.copy_(tensors("embed.char"))
            self.word.weight.copy_(tensors("embed.word"))
            for l, lstm in enumerate(self.lstms):
                for direction, suffix in (("fw", ""), ("bw", "_reverse")):
                    getattr(lstm, f"weight_ih_l0{suffix}").copy_(tensors(f"lstm.{l}.{direction}.w_ih"))
                    getattr(lstm, f"weight_hh_l0{suffix}").copy_(tensors(f"lstm.{l}.{direction}.w_hh"))
                    getattr(lstm, f"bias_ih_l0{suffix}").copy_(tensors(f"lstm.{l}.{direction}.bias"))
                    getattr(lstm, f"bias_hh_l0{suffix}").zero_()
            self.dense.weight.copy_(tensors("dense.w"))
            self.dense.bias.copy_(tensors("dense.b"))

    def forward(self, chars, words):
        x = torch.cat([self.char(chars), self.word(words)], dim=2)
        for lstm in self.lstms:
            x, _ = lstm(x)
        return self.dense(x)


def viterbi(em, start, trans, end):
    """best paths [B x T] of emissions em [T x B x K] (f64; ties to the lowest index)"""
    T, B, K = em.shape
    score = start + em[0]  # [B x K]
    back = np.zeros((T, B, K), dtype=np.int64)
    v = np.empty((B, K, K))  # [B x K (from) x K (to)]
    for t in range(1, T):
        np.add(score[:, :, None], trans, out=v)
        back[t] = v.argmax(axis=1)
        score = v.max(axis=1)
        score += em[t]
    paths = np.zeros((B, T), dtype=np.int32)
    y = (score + end).argmax(axis=1)
    rows = np.arange(B)
    for t in range(T - 1, -1, -1):
        paths[:, t] = y
        y = back[t, rows, y]
    return paths


def blas():
    """the BLAS library this process loaded (Debian's libblas.so.3 is whichever alternative is installed)"""
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "blas" in line.split()[-1]}
    if any("openblas" in p for p in paths):
        return "OpenBLAS"
    if any("/blas/libblas" in p for p in paths):
        return "reference BLAS"
    return ", ".join(sorted(os.path.basename(p) for p in paths)) or "no BLAS library"


def main():
    directory = sys.argv[1]
    manifest = json.loads(load(directory, "manifest.json"))
    arch = manifest["arch"]

    def tensors(name):
        spec = manifest["tensors"][name]
        return torch.from_numpy(f32(directory, spec["file"], spec["shape"]))

    net = Net(arch, tensors).eval()
    start, trans, end = (tensors(n).double().numpy() for n in ("crf.start", "crf.trans", "crf.end"))
    trans = trans.reshape(arch["tags"], arch["tags"])
    sets = {name: sentence_set(directory, files) for name, files in manifest["sets"].items()}
    groups = {name: by_length(s) for name, s in sets.items()}

    def tag(name):
        """emissions [T x K] and path of every sentence of set `name`, in the set's order"""
        sentences = sets[name]
        out = [None] * len(sentences)
        decoding = 0.0
        for indices in groups[name].values():
            chars = torch.from_numpy(np.stack([sentences[i][0] for i in indices], axis=1))  # [T x B]
            words = torch.from_numpy(np.stack([sentences[i][1] for i in indices], axis=1))
            em = net(chars, words).numpy()  # [T x B x K]
            c0 = time.process_time()
            paths = viterbi(em.astype(np.float64), start, trans, end)
            decoding += time.process_time() - c0
            for b, i in enumerate(indices):
                out[i] = (em[:, b, :], paths[b])
        return out, decoding

    def answer(obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    with torch.inference_mode():
        answer({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas()})
        for line in sys.stdin:
            cmd = line.split()
            if not cmd or cmd[0] == "quit":
                break
            if cmd[0] == "check":
                tagged, _ = tag("check")
                with open(os.path.join(directory, "check.emissions.f32"), "wb") as f:
                    for em, _ in tagged:
                        f.write(np.ascontiguousarray(em, dtype="<f4").tobytes())
                with open(os.path.join(directory, "check.paths.i32"), "wb") as f:
                    for _, path in tagged:
                        f.write(np.ascontiguousarray(path, dtype="<i4").tobytes())
                answer({"written": len(tagged)})
            elif cmd[0] == "round":
                c0 = time.process_time()
                _, decoding = tag("all")
                answer({"cpu_ms": (time.process_time() - c0) * 1000, "viterbi_ms": decoding * 1000})
            elif cmd[0] == "latency":
                warm, runs = int(cmd[1]), int(cmd[2])
                for _ in range(warm):
                    tag("s64")
                times = []
                for _ in range(runs):
                    c0 = time.process_time()
                    tag("s64")
                    times.append((time.process_time() - c0) * 1000)
                answer({"p50_ms": float(np.median(times))})
            else:
                raise ValueError(f"unknown command {cmd[0]!r}")


if __name__ == "__main__":
    main()
