import { int, parse } from './args';
import type { CommandEnv } from './command-env';

/** `delicate doctor`: what this machine and installation can do. */
export async function doctorCommand(rest: string[], env: CommandEnv): Promise<number> {
  const { values } = parse(rest, {});
  env.setJson(values.json);
  const report = await (await env.api(values.db))('app.doctor', {});
  env.print(report, () =>
    [
      `Delicate ${report.delicate} on Node ${report.node} (${report.platform})`,
      `database: ${report.database} (SQLite ${report.sqlite})`,
      `RDKit: ${report.rdkit ?? 'not loadable'}; OpenChemLib: ${report.openchemlib ?? 'not loadable'}`,
      'compute backends:',
      ...report.computeBackends.map((b) => `  ${b.selected ? '*' : b.available ? '+' : '-'} ${b.name}: ${b.reason}`),
      'inference (ONNX Runtime execution providers):',
      ...report.inferenceProviders.map((b) => `  ${b.selected ? '*' : b.available ? '+' : '-'} ${b.name}: ${b.reason}`),
      `shared data: ${report.data.sharedData ?? 'not found'}`,
    ].join('\n'),
  );
  return 0;
}

/** `delicate serve`: the app over a loopback WebSocket for any Chromium. */
export async function serveCommand(rest: string[], env: CommandEnv): Promise<number> {
  const { values } = parse(rest, {
    port: { type: 'string' },
    host: { type: 'string' },
    'allow-remote': { type: 'boolean', default: false },
    files: { type: 'string' },
  });
  env.setJson(values.json);
  const { serve } = await import('../host/server');
  const app = await env.context(values.db, { warmSearch: true });
  // A long-lived server logs a failure nobody awaited instead of dying of it.
  const logFailure = (msg: string, err: unknown) => env.err(`delicate serve: ${msg}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  const onRejection = (err: unknown) => logFailure('unhandled rejection', err);
  process.on('unhandledRejection', onRejection);
  const server = await serve(app, {
    port: int(values.port, '--port') ?? 0,
    host: values.host,
    allowRemote: values['allow-remote'],
    filesDir: values.files,
    warn: (m) => env.err(`warning: ${m}\n`),
    log: logFailure,
  });
  // An import's descriptors left unfinished go on (a job the windows follow).
  app.fillDescriptorsLater();
  env.print({ url: server.url, ...(server.lanUrls.length ? { lanUrls: server.lanUrls } : {}) }, () =>
    [`Delicate is serving at ${server.url}`, ...server.lanUrls.map((u) => `  on the network: ${u}`), 'Open it in Chromium; Ctrl-C stops.'].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  process.off('unhandledRejection', onRejection);
  return 0;
}
