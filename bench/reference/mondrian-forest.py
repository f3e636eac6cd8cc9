"""
Reference check of Delicate's interval calibration (src-main/train/ensemble.ts) with scikit-learn's forest:
split-conformal 80% intervals with one width against Mondrian ones per band of each compound's highest
ECFP4 (2048-bit) Tanimoto similarity to the training split, calibrated on the validation split, judged on
the test split overall and per tercile of the test compounds' similarity (least similar first).
Bands as Delicate makes them: up to 3 equal-count bands of at least 30 validation compounds (Delicate also
merges a band that tied similarities leave short of 30).
Third row, "merged": adjacent bands merged (quantile of their union) until the widths fall as similarity
rises, a monotone variant Delicate does not use: it gives up the coverage of ESOL's scaffold split, whose
most similar band has the largest errors.
Splits: 80/10/10 random, or Murcko scaffolds (largest groups to training) shuffled per seed; not
Delicate's own split code, so the numbers compare the two calibrations, not Delicate's models.

    /usr/bin/python3 bench/reference/mondrian-forest.py > bench/results/mondrian-reference.txt

Needs Debian's python3-rdkit, python3-sklearn, python3-pandas (reference only, never a runtime dependency).
"""
import numpy as np
import pandas as pd
from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import AllChem
from rdkit.Chem.Scaffolds import MurckoScaffold
from sklearn.ensemble import RandomForestRegressor

RDLogger.DisableLog("rdApp.*")
DATA = "../shared/data/qsar"
SETS = [("esol", "logS"), ("freesolv", "expt"), ("lipophilicity", "logD"), ("bace", "pIC50")]
MIN_BIN, MAX_BINS, LEVEL = 30, 3, 0.8


def quantile(scores):
    s = np.sort(scores)
    k = int(np.ceil((len(s) + 1) * LEVEL))
    return s[k - 1] if k <= len(s) else np.inf


def split(mols, kind, seed):
    n = len(mols)
    rng = np.random.RandomState(seed)
    if kind == "random":
        p = rng.permutation(n)
        return p[: int(0.8 * n)], p[int(0.8 * n) : int(0.9 * n)], p[int(0.9 * n) :]
    groups = {}
    for i, m in enumerate(mols):
        groups.setdefault(MurckoScaffold.MurckoScaffoldSmiles(mol=m), []).append(i)
    groups = list(groups.values())
    rng.shuffle(groups)
    groups.sort(key=len, reverse=True)
    tr, va, te = [], [], []
    for g in groups:
        if len(tr) + len(g) <= 0.8 * n:
            tr += g
        elif len(va) + len(g) <= 0.1 * n:
            va += g
        else:
            te += g
    return np.array(tr), np.array(va), np.array(te)


def run(name, col, kind, seed):
    df = pd.read_csv(f"{DATA}/{name}.csv")
    mols = [Chem.MolFromSmiles(s) for s in df.smiles]
    keep = [i for i, m in enumerate(mols) if m is not None]
    mols = [mols[i] for i in keep]
    y = df[col].values[keep].astype(float)
    fps = [AllChem.GetMorganFingerprintAsBitVect(m, 2, 2048) for m in mols]
    X = np.array([list(f) for f in fps], dtype=np.uint8)
    tr, va, te = split(mols, kind, seed)
    rf = RandomForestRegressor(200, n_jobs=1, random_state=0).fit(X[tr], y[tr])
    train_fps = [fps[i] for i in tr]

    def sim(idx):
        return np.array([max(DataStructs.BulkTanimotoSimilarity(fps[i], train_fps)) for i in idx])

    sv, st = sim(va), sim(te)
    rv, rt = np.abs(y[va] - rf.predict(X[va])), np.abs(y[te] - rf.predict(X[te]))
    bins = min(MAX_BINS, len(va) // MIN_BIN)
    sorted_v = np.sort(sv)
    edges = sorted(set(sorted_v[round(b * len(sv) / bins)] for b in range(1, bins))) if bins > 1 else []
    band_v, band_t = np.searchsorted(edges, sv, side="right"), np.searchsorted(edges, st, side="right")
    q_band = np.array([quantile(rv[band_v == b]) for b in range(len(edges) + 1)])
    # Merged: adjacent bands whose widths do not fall as similarity rises are merged (quantile of the union)
    # until they do, so a less similar compound never gets a narrower interval.
    groups = [[b] for b in range(len(edges) + 1)]
    while True:
        qs = [quantile(rv[np.isin(band_v, g)]) for g in groups]
        bad = next((i for i in range(len(qs) - 1) if qs[i] < qs[i + 1]), None)
        if bad is None:
            break
        groups[bad : bad + 2] = [groups[bad] + groups[bad + 1]]
    q_merged = np.zeros(len(edges) + 1)
    for g, q in zip(groups, qs):
        q_merged[g] = q
    tercile = np.searchsorted(np.quantile(st, [1 / 3, 2 / 3]), st, side="right")

    def row(label, w):
        cov = rt <= w
        per = " ".join(f"{cov[tercile == b].mean():.2f}" for b in range(3))
        return f"  {label:9} coverage {cov.mean():.3f}, mean width {2 * np.mean(w):.3f}, by similarity tercile (least similar first) {per}"

    print(f"{name} {kind} seed {seed}: {len(tr)}/{len(va)}/{len(te)}, bands from {np.round(edges, 2).tolist()}, half-widths {np.round(q_band, 3).tolist()}")
    print(row("one width", np.full(len(te), quantile(rv))))
    print(row("bands", q_band[band_t]))
    print(row("merged", q_merged[band_t]))


for name, col in SETS:
    for kind in ["random", "scaffold"]:
        for seed in [0, 1, 2]:
            run(name, col, kind, seed)
