import type { Remedy } from '../../../src-shared/errors';

/** How the app phrases what a chemist can do about an error (the services name the remedy only). */
export function appRemedy(r: { remedy: Remedy; run?: string; model?: string }): string {
  switch (r.remedy) {
    case 'list-models':
      return 'see the Models view';
    case 'list-assays':
      return 'see the stored assays in the Training view';
    case 'list-runs':
      return 'see the interrupted runs in the Training view';
    case 'list-screens':
      return 'see the screens in the Screening view';
    case 'other-out':
    case 'import-as':
      return 'choose another name';
    case 'resume':
      return 'start it again with Resume to continue';
    case 'resume-or-other-out':
      return 'tick Resume to continue it, or choose another name';
    case 'resume-or-restart':
      return "Resume it, or Start over, under the Training view's interrupted runs";
    case 'restart':
      return "Start it over under the Training view's interrupted runs";
    case 'resume-run':
      return `Resume '${r.run ?? 'it'}' under the Training view's interrupted runs`;
    case 'train':
      return 'train one in the Training view';
  }
}
