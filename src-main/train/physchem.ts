import { loadRdkit, parseMol, withMol } from '../chem/rdkit';

/** Names, means and standard deviations of the physchem targets (saved with the model). */
export interface PhyschemNorm {
  names: string[];
  mean: number[];
  sd: number[];
}

/** Every numeric RDKit descriptor of a molecule (MinimalLib's get_descriptors), or null if unparseable. */
export async function rawDescriptors(smiles: string[]): Promise<Array<Record<string, number> | null>> {
  const rd = await loadRdkit();
  return smiles.map((s) => {
    const mol = parseMol(rd, s);
    if (!mol) return null;
    return withMol(mol, (m) => {
      const d = JSON.parse(m.get_descriptors()) as Record<string, unknown>;
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(d)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
      return out;
    });
  });
}

/**
 * Normalisation from a sample: every descriptor with non-zero spread, z-scored (MolBERT regresses
 * normalised RDKit descriptors the same way). Constant descriptors are dropped.
 */
export async function fitPhyschem(sample: string[]): Promise<PhyschemNorm> {
  const rows = (await rawDescriptors(sample)).filter((r): r is Record<string, number> => r !== null);
  if (rows.length < 2) throw new Error('too few parseable molecules to normalise physchem descriptors');
  const names = Object.keys(rows[0] as Record<string, number>).sort();
  const norm: PhyschemNorm = { names: [], mean: [], sd: [] };
  for (const n of names) {
    const xs = rows.map((r) => r[n]).filter((x): x is number => x !== undefined);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    if (sd > 1e-8) {
      norm.names.push(n);
      norm.mean.push(mean);
      norm.sd.push(sd);
    }
  }
  return norm;
}

/**
 * Normalised targets [n, P] and a weight per row (0 for unparseable molecules). Values are clipped to
 * ±6 sd so a rare extreme molecule cannot dominate the loss.
 */
export async function physchemTargets(smiles: string[], norm: PhyschemNorm): Promise<{ values: Float32Array; weights: Float32Array }> {
  const p = norm.names.length;
  const values = new Float32Array(smiles.length * p);
  const weights = new Float32Array(smiles.length);
  (await rawDescriptors(smiles)).forEach((r, i) => {
    if (!r) return;
    weights[i] = 1;
    norm.names.forEach((n, j) => {
      const z = ((r[n] ?? (norm.mean[j] as number)) - (norm.mean[j] as number)) / (norm.sd[j] as number);
      values[i * p + j] = Math.max(-6, Math.min(6, z));
    });
  });
  return { values, weights };
}
