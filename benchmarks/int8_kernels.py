"""Kernel-level check (interleaved): our fp32 score_pairs vs ONNX Runtime fp32 vs the saved int8 file.

Run: PYTHONPATH=. python benchmarks/int8_kernels.py MODEL_DIR PAIRS_JSONL
"""
import json, time, statistics, numpy as np
from pathlib import Path
from stance.models import load_model
from stance.models.quantize import OrtClassifier, export_onnx, scores_with, agreement
rows=[json.loads(l) for l in open(sorted(Path('/tmp').glob('int8-bench-*'))[0]/'pairs.jsonl')][:1500]
X=[{"text":r["text"],"target":r["target"]} for r in rows]
est=load_model('/tmp/int8-m2').estimator
fp=est.model_
ortfp=OrtClassifier(export_onnx(fp,'/tmp/int8-x.onnx'), fp.config)
q=OrtClassifier('/tmp/int8-m2/model.int8.onnx', fp.config)
V={"torch fp32":fp,"ort fp32":ortfp,"ort int8 saved":q}
for m in V.values(): scores_with(est,m,X[:64])
T={k:[] for k in V}; P={}
for _ in range(2):
    for k,m in V.items():
        t=time.perf_counter(); P[k]=scores_with(est,m,X); T[k].append(time.perf_counter()-t)
b=statistics.median(T["torch fp32"])
import os
print("load", os.getloadavg())
for k in V: print(k, round(statistics.median(T[k]),2), round(b/statistics.median(T[k]),2), agreement(P["torch fp32"],P[k]))
