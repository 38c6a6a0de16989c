// packaging/debian/changelog is the one changelog: the .deb ships it gzipped, the .rpm gets it as %changelog, and
// its newest entry must carry the version being built, as a Debian maintainer would expect.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const HEADER = /^(\S+) \(([^)]+)\) [^;]+; urgency=\w+$/;
const TRAILER = /^ -- (.+ <[^>]+>) {2}(\w{3}, +\d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4})$/;

/** @returns {{ source: string, version: string, maintainer: string, date: Date, lines: string[] }[]} newest first */
export function parseChangelog(text) {
  const entries = [];
  let current = null;
  for (const line of text.split('\n')) {
    const header = line.match(HEADER);
    if (header) {
      current = { source: header[1], version: header[2], lines: [] };
      continue;
    }
    const trailer = line.match(TRAILER);
    if (trailer && current) {
      entries.push({ ...current, maintainer: trailer[1], date: new Date(trailer[2]), lines: current.lines.filter((l) => l.trim() !== '') });
      current = null;
      continue;
    }
    if (current) current.lines.push(line);
  }
  if (entries.length === 0) throw new Error('packaging/debian/changelog has no complete entry');
  return entries;
}

export function readChangelog(file) {
  return { text: readFileSync(file, 'utf8'), entries: parseChangelog(readFileSync(file, 'utf8')) };
}

/** gzip -9n: no file name, no timestamp, so the package is reproducible. */
export function gzipChangelog(text) {
  return gzipSync(Buffer.from(text, 'utf8'), { level: 9 });
}

/** The %changelog section of a spec file. */
export function rpmChangelog(entries) {
  const day = (d) => d.toUTCString().replace(/^(\w{3}), (\d{2}) (\w{3}) (\d{4}).*$/, '$1 $3 $2 $4');
  return entries
    .map((e) => {
      const bullets = e.lines.map((l) => l.replace(/^ {2}\* /, '- ').replace(/^ {4}/, '  ')).join('\n');
      return `* ${day(e.date)} ${e.maintainer} - ${e.version}-1\n${bullets.replace(/%/g, '%%')}`;
    })
    .join('\n\n');
}
