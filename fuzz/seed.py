#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ from the conformance vectors and the bench inputs.

usage: python3 fuzz/seed.py [VECTORS_JSON] [BENCH_DIR]
(defaults: tests/conformance/vectors.json and benches/inputs, relative to the repository)
"""
import hashlib
import json
import os
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
vectors = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "tests", "conformance", "vectors.json")
bench = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "benches", "inputs")
out = os.path.join(root, "fuzz", "corpus")

header_lists = []
if os.path.exists(vectors):
    for case in json.load(open(vectors, encoding="utf-8")):
        hs = case.get("input_headers") or []
        if hs:
            header_lists.append([(n, v) for n, v in hs])
for f in sorted(os.listdir(bench)) if os.path.isdir(bench) else []:
    lines = open(os.path.join(bench, f), encoding="utf-8").read().splitlines()
    header_lists.append([tuple(x.strip() for x in l.split(":", 1)) for l in lines if ":" in l])

seeds = {t: set() for t in ["traceparent", "tracestate", "dd_member", "datadog", "dd_tags", "b3_single",
                             "b3_multi", "xray", "baggage", "config", "extract", "roundtrip",
                             "forward", "oracle"]}
FF = b"\xff"

def vals(hs, name):
    return [v.encode() for n, v in hs if n.lower() == name]

for hs in header_lists:
    for v in vals(hs, "traceparent"):
        seeds["traceparent"].add(v)
    ts = vals(hs, "tracestate")
    if ts:
        seeds["tracestate"].add(FF.join(ts))
        for line in ts:
            for m in line.split(b","):
                m = m.strip(b" \t")
                if m.startswith(b"dd="):
                    seeds["dd_member"].add(m[3:])
    dd = [vals(hs, n)[:1] for n in ("x-datadog-trace-id", "x-datadog-parent-id", "x-datadog-sampling-priority", "x-datadog-origin")]
    if dd[0]:
        seeds["datadog"].add(FF.join(x[0] if x else b"" for x in dd))
    tags = vals(hs, "x-datadog-tags")
    if tags:
        seeds["dd_tags"].add(bytes([128]) + FF.join(tags))
    for v in vals(hs, "b3"):
        seeds["b3_single"].add(v)
    b3m = [vals(hs, n)[:1] for n in ("x-b3-traceid", "x-b3-spanid", "x-b3-sampled", "x-b3-flags", "x-b3-parentspanid")]
    if b3m[0]:
        seeds["b3_multi"].add(FF.join(x[0] if x else b"" for x in b3m))
    for v in vals(hs, "x-amzn-trace-id"):
        seeds["xray"].add(v)
    bag = vals(hs, "baggage")
    if bag:
        seeds["baggage"].add(bytes([205]) + FF.join(bag))
    block = b"\n".join(n.encode() + b":" + v.encode() for n, v in hs)
    if len(block) > 4096:
        block = block[:4096]
    seeds["extract"].add(bytes([0b0010_0011 if len(seeds["extract"]) % 2 else 0b0111_1111]) + block)
    seeds["roundtrip"].add(bytes([len(seeds["roundtrip"]) % 5]) + block)
    # forward: styles selector, carrier size; oracle: extract styles, inject styles, size.
    k = len(seeds["forward"])
    seeds["forward"].add(bytes([0b0011_1111 if k % 2 else 0b0000_0011, 255 if k % 3 else 16]) + block)
    seeds["oracle"].add(bytes([0b0011_1111, 0b0011_1111 if k % 2 else 0b0110_0011, 255 if k % 3 else 24]) + block)

for cfg in ["datadog,tracecontext", "b3 single header,b3multi", "tracecontext", "none", "Datadog,jaeger"]:
    seeds["config"].add(FF.join([cfg.encode(), b"b3", b"", b"", b"", b"tracecontext,baggage", b"true", b"restart", b"1000", b"-1", b"x", b"*"]))

for target, items in seeds.items():
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    for item in sorted(items):
        name = hashlib.sha1(item).hexdigest()[:16]
        with open(os.path.join(d, name), "wb") as fh:
            fh.write(item)
    print(f"{target}: {len(items)} seeds")
