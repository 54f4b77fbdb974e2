// pretest: make sure every Debian package the suite needs is installed. As root it installs the
// missing ones with apt-get; otherwise it stops with the exact command to run. It never lets a
// board test be skipped silently for want of a tool.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const wanted = readFileSync(new URL('./debian-packages.txt', import.meta.url), 'utf8')
  .split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
const unique = [...new Set(wanted)];

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

if (spawnSync('dpkg-query', ['--version']).status !== 0) {
  console.error('provision: this is not a Debian-based system (no dpkg-query). Install the equivalents of:\n  ' + unique.join(' '));
  process.exit(1);
}
const missing = unique.filter((p) => !installed(p));
if (missing.length === 0) process.exit(0);
const cmd = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing.join(' ')}`;
if (typeof process.getuid === 'function' && process.getuid() === 0) {
  console.log(`provision: installing ${missing.join(' ')}`);
  execFileSync('sh', ['-c', cmd], { stdio: 'inherit' });
  const still = missing.filter((p) => !installed(p));
  if (still.length) { console.error(`provision: still missing after apt-get: ${still.join(' ')}`); process.exit(1); }
} else {
  console.error(`provision: missing Debian packages: ${missing.join(' ')}\nRun as root:\n  sudo sh -c '${cmd}'`);
  process.exit(1);
}
