import { parentPort } from 'node:worker_threads';
import { structuralAlerts } from './alerts';
import { conformer3d } from './conformer';
import { depictSvg, hasSubstructure, loadRdkit, parseQuery, standardise } from './rdkit';
import type { ChemRequest, ChemResponse } from './chem-protocol';

/** Worker thread: runs RDKit/OpenChemLib work so the caller's event loop stays free. */
const port = parentPort;
if (!port) throw new Error('chem-worker must run in a worker thread');
const rdReady = loadRdkit();

port.on('message', async (msg: ChemRequest) => {
  const reply = (r: ChemResponse) => port.postMessage(r);
  try {
    const rd = await rdReady;
    switch (msg.op) {
      case 'standardise':
        reply({ id: msg.id, ok: true, value: msg.inputs.map((s) => standardise(rd, s)) });
        break;
      case 'substructure': {
        const q = parseQuery(rd, msg.query);
        if (!q) {
          reply({ id: msg.id, ok: false, error: `invalid substructure query: ${msg.query}` });
          break;
        }
        try {
          reply({ id: msg.id, ok: true, value: msg.items.filter((it) => hasSubstructure(rd, it.smiles, q)).map((it) => it.id) });
        } finally {
          q.delete();
        }
        break;
      }
      case 'depict':
        reply({ id: msg.id, ok: true, value: depictSvg(rd, msg.smiles, msg.width, msg.height) });
        break;
      case 'conformer':
        reply({ id: msg.id, ok: true, value: conformer3d(msg.smiles) });
        break;
      case 'alerts':
        reply({ id: msg.id, ok: true, value: structuralAlerts(rd, msg.smiles) });
        break;
    }
  } catch (err) {
    reply({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
