import type { Mol } from '@rdkit/rdkit';
import { parseMol, parseQuery, withMol, type RDKit } from './rdkit';

/**
 * Structural alerts: groups a medicinal chemist flags as reactive, unstable, toxicophoric or frequent assay
 * interferers. A compact selection after Brenk et al., ChemMedChem 2008, 3, 435 ("unwanted groups") and
 * the best-known PAINS families (Baell & Holloway, J. Med. Chem. 2010, 53, 2719). An alert is a reason to
 * look, not a verdict: many drugs carry one.
 */
export const STRUCTURAL_ALERTS: ReadonlyArray<{ name: string; smarts: string }> = [
  { name: 'nitro group', smarts: '[$([NX3](=O)=O),$([NX3+](=O)[O-])]' },
  { name: 'nitroso group', smarts: '[#6,#7][NX2]=O' },
  { name: 'aldehyde', smarts: '[CX3H1](=O)[#6]' },
  { name: 'acyl halide', smarts: '[CX3](=O)[F,Cl,Br,I]' },
  { name: 'sulfonyl halide', smarts: '[SX4](=O)(=O)[F,Cl,Br,I]' },
  { name: 'reactive alkyl halide', smarts: '[CH2X4][Cl,Br,I]' },
  { name: 'epoxide', smarts: 'C1OC1' },
  { name: 'aziridine', smarts: 'C1NC1' },
  { name: 'Michael acceptor (α,β-unsaturated carbonyl)', smarts: '[CX3;!R]=[CX3][CX3]=O' },
  { name: 'thiol', smarts: '[SX2H1]' },
  { name: 'disulfide', smarts: '[SX2][SX2]' },
  { name: 'thioester', smarts: '[CX3](=O)[SX2]' },
  { name: 'thiocarbonyl', smarts: '[#6,#7][CX3]=[SX1]' },
  { name: 'azo group', smarts: '[#6][NX2]=[NX2][#6]' },
  { name: 'diazo or diazonium', smarts: '[$([#6]=[N+]=[N-]),$([N+]#N)]' },
  { name: 'isocyanate or isothiocyanate', smarts: 'N=C=[O,S]' },
  { name: 'peroxide', smarts: '[OX2][OX2]' },
  { name: 'hydrazine', smarts: '[NX3;!$(N[C,S]=[O,S,N])][NX3;!$(N[C,S]=[O,S,N])]' },
  { name: 'hydroxamic acid', smarts: '[CX3](=O)[NX3][OH]' },
  { name: 'anhydride', smarts: '[CX3](=O)[OX2][CX3](=O)' },
  { name: 'sulfonate ester', smarts: '[#6][SX4](=O)(=O)[OX2][#6]' },
  { name: 'phosphonate or phosphate ester', smarts: '[PX4](=O)([OX2][#6])[OX2][#6]' },
  { name: 'catechol', smarts: 'c([OH])c[OH]' },
  { name: 'quinone', smarts: 'O=[#6]1[#6]=,:[#6][#6](=O)[#6]=,:[#6]1' },
  { name: 'ene-rhodanine (PAINS)', smarts: 'S=C1[#7]C(=O)C(=[#6])S1' },
  { name: 'ene-five-membered heterocycle with exocyclic C=C and C=O (PAINS ene_five_het)', smarts: '[#6]=[#6]1[#6](=O)[#7,#8,#16][#6,#7]=,:[#6,#7,#16]1' },
  { name: 'polyhalogenated aromatic (≥3 halogens on one ring)', smarts: 'c1([F,Cl,Br,I])c([F,Cl,Br,I])c([F,Cl,Br,I])ccc1' },
];

let compiled: Array<{ name: string; query: Mol }> | null = null;

/** The alert queries, parsed once per thread; a SMARTS that RDKit rejects is a bug in the list above. */
function queries(rd: RDKit): Array<{ name: string; query: Mol }> {
  compiled ??= STRUCTURAL_ALERTS.map(({ name, smarts }) => {
    const query = parseQuery(rd, smarts);
    if (!query) throw new Error(`structural alert '${name}' has an invalid SMARTS: ${smarts}`);
    return { name, query };
  });
  return compiled;
}

/** Names of the structural alerts the molecule raises (empty when none, or when it cannot be parsed). */
export function structuralAlerts(rd: RDKit, smiles: string): string[] {
  const mol = parseMol(rd, smiles);
  if (!mol) return [];
  return withMol(mol, (m) =>
    queries(rd)
      .filter((a) => m.get_substruct_match(a.query) !== '{}')
      .map((a) => a.name),
  );
}
