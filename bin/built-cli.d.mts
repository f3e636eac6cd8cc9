/** The built CLI, out/main/cli.js. */
export const builtCli: string;
/** Whether the built CLI exists and is newer than every source file (bin/delicate.mjs then runs it). */
export function builtCliIsFresh(): boolean;
