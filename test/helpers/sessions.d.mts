// Types of sessions.mjs (plain JavaScript so posix-client.mjs can run it under node without tsx).
export type Order = 'fin' | 'rst' | 'board';
export const ORDERS: Record<'echo' | 'discard' | 'chargen' | 'http', Order[]>;
export function runSessions(host: string, port: number, service: 'echo' | 'discard' | 'chargen' | 'http', count: number, orders?: Order[]):
  Promise<{ ok: true; service: string; sessions: number; orders: Order[]; ms: number }>;
