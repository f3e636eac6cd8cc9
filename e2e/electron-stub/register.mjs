// `node --import ./e2e/electron-stub/register.mjs out/main/index.js`: runs the built main bundle under
// plain Node, with `electron` resolved to the recording stub beside this file (no Electron binary needed).
import { register } from 'node:module';

register(new URL('./hooks.mjs', import.meta.url));
