import { beforeAll, describe, expect, it } from 'vitest';
import { STRUCTURAL_ALERTS, structuralAlerts } from './alerts';
import { loadRdkit, parseQuery, type RDKit } from './rdkit';

let rd: RDKit;
beforeAll(async () => {
  rd = await loadRdkit();
});

describe('structural alerts', () => {
  it('every alert SMARTS parses', () => {
    for (const a of STRUCTURAL_ALERTS) {
      const q = parseQuery(rd, a.smarts);
      expect(q, a.name).not.toBeNull();
      q?.delete();
    }
  });

  it('flags the groups they name and leaves clean drugs alone', () => {
    expect(structuralAlerts(rd, 'O=[N+]([O-])c1ccccc1')).toEqual(['nitro group']);
    expect(structuralAlerts(rd, 'O=Cc1ccccc1')).toEqual(['aldehyde']);
    expect(structuralAlerts(rd, 'Oc1ccccc1O')).toEqual(['catechol']);
    expect(structuralAlerts(rd, 'C=CC(=O)N1CCCC1')).toEqual(['Michael acceptor (α,β-unsaturated carbonyl)']);
    expect(structuralAlerts(rd, 'CCSSCC')).toEqual(['disulfide']);
    expect(structuralAlerts(rd, 'O=C1C=CC(=O)C=C1')).toContain('quinone');
    expect(structuralAlerts(rd, 'S=C1NC(=O)C(=Cc2ccccc2)S1')).toContain('ene-rhodanine (PAINS)');
    // Aspirin, paracetamol, caffeine, ibuprofen: nothing to flag.
    for (const drug of ['CC(=O)Oc1ccccc1C(=O)O', 'CC(=O)Nc1ccc(O)cc1', 'Cn1cnc2c1c(=O)n(C)c(=O)n2C', 'CC(C)Cc1ccc(C(C)C(=O)O)cc1']) {
      expect(structuralAlerts(rd, drug), drug).toEqual([]);
    }
    // An amide hydrazide is not a hydrazine alert; a free hydrazine is.
    expect(structuralAlerts(rd, 'NNc1ccccc1')).toEqual(['hydrazine']);
    expect(structuralAlerts(rd, 'O=C(NN)c1ccncc1')).toEqual([]);
    expect(structuralAlerts(rd, 'not a molecule')).toEqual([]);
  });
});
