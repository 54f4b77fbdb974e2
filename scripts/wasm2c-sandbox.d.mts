// Types of scripts/wasm2c-sandbox.mjs (for the TypeScript tests that import it).
export function rewrite(src: string): { text: string; sites: number; maxOffset: number; pages: number };
