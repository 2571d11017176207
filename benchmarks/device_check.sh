#!/usr/bin/env bash
# The risk model's CUDA checks as one prepared run, for a session that is lent a GPU machine.
#
# Why a script: a lent machine has 15 minutes of device time in all, starts bare and cannot
# fetch packages. Its image has PyTorch (CUDA), torch_geometric, pandas, SciPy, scikit-learn
# and NetworkX, not DuckDB; the corpus store (~90 MB) is over the 64 MiB a call may carry. So
# everything the checks need is prepared here, once, into the ignored folder .devdata/:
#
#   bash benchmarks/device_check.sh prep STORE   # STORE: a store loaded with
#                                                # `ossmetrics --db STORE collect corpus CORPUS_DIR`
#                                                # then `ossmetrics --db STORE graph --risk-snapshots`
#                                                # (the data set reads the graph stage's truck
#                                                # factors; ~20 s for the shared corpus)
#
# then run there in one call (about 3-5 minutes after the machine's start):
#
#   run(command="bash benchmarks/device_check.sh run", carry=[".devdata"], timeout_s=540)
#
# It prints the GPU, runs the `gpu`-marked tests (model forward, training, prediction and
# scoring on CUDA against the CPU, and a CUDA-trained model file read back without a GPU) and
# `benchmarks/bench_risk.py` on the corpus data set: training time on CUDA, 10M-node /
# 100M-edge scoring throughput against a plain 2-layer SAGEConv, and peak GPU memory. Every
# log also lands in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
prep)
    store="${2:?usage: bash benchmarks/device_check.sh prep STORE}"
    py=.venv/bin/python
    mkdir -p .devdata/whl # ignored by .gitignore: it travels only when a run carries it
    # DuckDB is missing there; pandas travels too so the pickled data set is read by the
    # version that wrote it. Python there is 3.12 on x86-64.
    versions=$("$py" -c 'import duckdb, pandas; print(f"duckdb=={duckdb.__version__} pandas=={pandas.__version__}")')
    rm -f .devdata/whl/*.whl
    # shellcheck disable=SC2086
    "$py" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .devdata/whl $versions
    "$py" - "$store" <<'EOF'
import pickle
import sys

import duckdb

from ossmetrics.risk.dataset import build_dataset

con = duckdb.connect(sys.argv[1], read_only=True)
ds = build_dataset(con)
with open(".devdata/ds.pkl", "wb") as f:
    pickle.dump(ds, f)
print(f"data set: {len(ds)} snapshots -> .devdata/ds.pkl")
EOF
    du -sh .devdata
    ;;
run)
    out="${OUT:-/tmp/device_check}"
    mkdir -p "$out"
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .devdata/whl/*.whl
    export PYTHONPATH="/tmp/site:$PWD" PYTHONUNBUFFERED=1
    { nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 || true; } | tee "$out/gpu.txt"
    python3 -c 'import torch; assert torch.cuda.is_available(), "PyTorch sees no CUDA device"; print("torch", torch.__version__, torch.cuda.get_device_name(0))' |
        tee -a "$out/gpu.txt"
    set +e
    python3 -m pytest -q -m gpu -p no:cacheprovider -rs tests/risk 2>&1 | tee "$out/pytest_gpu.txt"
    tests=${PIPESTATUS[0]}
    python3 benchmarks/bench_risk.py --dataset .devdata/ds.pkl 2>&1 | tee "$out/bench_risk.txt"
    bench=${PIPESTATUS[0]}
    echo "gpu tests exit $tests, bench exit $bench"
    exit $((tests != 0 || bench != 0))
    ;;
*)
    echo "usage: bash benchmarks/device_check.sh prep STORE | run" >&2
    exit 2
    ;;
esac
