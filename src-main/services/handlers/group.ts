import type { Api } from '../../../src-shared/contract';

/** The contract's methods of some areas (`library`, `compound`, …): what one handler module implements. */
export type Handlers<Area extends string> = { [K in keyof Api as K extends `${Area}.${string}` ? K : never]: Api[K] };

/** Some of the contract's methods by name. */
export type HandlersOf<K extends keyof Api> = Pick<Api, K>;
