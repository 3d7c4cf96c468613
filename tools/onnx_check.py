#!/usr/bin/env python3
"""Checks ONNX files with the ONNX project's own checker: onnx.checker.check_model(model, full_check=True), which
validates the graph against the operator schemas and runs shape inference (Debian: apt-get install python3-onnx).

Usage: /usr/bin/python3 tools/onnx_check.py FILE.onnx...
Prints one line per file ("ok FILE: opset 17, IR 8, nodes ..." or "FAILED FILE: reason"); exit 1 if any failed.
The test suite runs it on every exported test network (tests/Jimu.Onnx.Tests/CheckerTests.cs).
"""
import sys

import onnx


def main(paths):
    failed = 0
    for path in paths:
        try:
            model = onnx.load(path)
            onnx.checker.check_model(model, full_check=True)
            opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
            ops = " ".join(n.op_type for n in model.graph.node)
            print(f"ok {path}: opset {opset}, IR {model.ir_version}, nodes {ops}")
        except Exception as e:  # the checker raises several exception types
            failed += 1
            print(f"FAILED {path}: {' '.join(str(e).split())}")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
