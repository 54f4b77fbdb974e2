// The stack's abort handler (asc --use abort=...). Reached only by a bug: the release build has
// --noAssert and uses unchecked accesses, so no input can get here. It records where it happened in
// linear memory for the host to read (abort_info export), then traps: continuing would be unsafe.
const info: usize = memory.data(8);

export function stack_abort(message: usize, file: usize, line: u32, column: u32): void {
  store<u32>(info, line);
  store<u32>(info, column, 4);
  unreachable();
}

export function abortInfo(): usize {
  return info;
}
