import { execFileSync } from 'node:child_process';

/**
 * Fails the run up front, with the command to fix it, when a daemon the tests run for real is missing: better one
 * clear line than forty tests failing with ENOENT.
 */
export default function checkDebianPackages(): void {
  const needed = ['keepalived', 'haproxy', 'nats-server', 'ip', 'nft'];
  const missing = needed.filter((bin) => {
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new Error(
      `missing ${missing.join(', ')}: run \`sudo npm run setup\` (installs keepalived, haproxy, nats-server, iproute2, nftables from Debian) and then \`npm test\` again`,
    );
  }
}
