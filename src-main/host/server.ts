export async function serve(..._a: unknown[]): Promise<{url: string; close(): Promise<void>}> { throw new Error('todo'); }
