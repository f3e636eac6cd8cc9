import type { Remedy } from '../../src-shared/errors';

/** How the command line phrases what a user can do about an error (the services name the remedy only). */
export function cliRemedy(r: { remedy: Remedy; run?: string; model?: string }): string {
  switch (r.remedy) {
    case 'list-models':
      return 'see `delicate models`';
    case 'list-assays':
      return 'see `delicate assays`';
    case 'list-runs':
      return 'see `delicate runs`';
    case 'list-screens':
      return 'see `delicate screens`';
    case 'other-out':
      return 'choose another --out';
    case 'import-as':
      return 'import it under another name (--as NAME)';
    case 'resume':
      return 'run the same command with --resume to continue';
    case 'resume-or-other-out':
      return 'add --resume to continue it, or choose another --out';
    case 'resume-or-restart':
      return 'add --resume to continue it, or --restart to start it over';
    case 'restart':
      return '--restart starts it over';
    case 'resume-run':
      return `resume it with \`delicate train --out ${r.run ?? 'NAME'} --resume\``;
    case 'train':
      return 'train one with `delicate train`';
  }
}
