"""Score probe rows with native XGBoost (1.7.4) on a model saved by ml-xgboost.

usage: /usr/bin/python3 native_predict.py MODEL PROBES.csv OUT.json
An empty CSV cell is missing (NaN, native XGBoost's default missing value); -1 stays a real -1.
Writes {"xgboost": version, "predictions": [...], "margins": [...]}.
"""
import json
import sys

import numpy as np
import xgboost as xgb

model_path, probes_path, out_path = sys.argv[1], sys.argv[2], sys.argv[3]
rows = []
with open(probes_path) as f:
    for line in f:
        line = line.strip()
        if line:
            rows.append([float('nan') if c == '' else float(c) for c in line.split(',')])
X = np.array(rows, dtype=np.float32)
booster = xgb.Booster(model_file=model_path)
d = xgb.DMatrix(X, missing=np.nan)
out = {
    'xgboost': xgb.__version__,
    'predictions': [float(v) for v in booster.predict(d)],
    'margins': [float(v) for v in booster.predict(d, output_margin=True)],
}
# A file, not stdout: XGBoost prints its own warnings on stdout.
with open(out_path, 'w') as f:
    f.write(json.dumps(out, indent=1) + '\n')
