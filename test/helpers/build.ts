// The build for tests that pin the debug build (fuzz, exhaustion): the debug build, unless the run
// is the no-allocation one (ASNET_BUILD=noalloc, test/noalloc.test.ts), which must load the build
// whose allocator traps everywhere, so that these suites prove no path they reach allocates.
import type { Build } from '../../host/stack.ts';

export function pinnedBuild(): Build {
  return process.env.ASNET_BUILD === 'noalloc' ? 'noalloc' : 'debug';
}
