// The copyright file of a package: kubeadm-ha itself, the Node.js runtime inside each executable, and every npm
// package the bundles contain, read from the esbuild metafiles so the list cannot drift from what ships.
// Machine-readable format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const LICENSE_TEXTS = {
  MIT: `Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:
.
The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.
.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.`,
  ISC: `Permission to use, copy, modify, and/or distribute this software for any
purpose with or without fee is hereby granted, provided that the above
copyright notice and this permission notice appear in all copies.
.
THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.`,
  '0BSD': `Permission to use, copy, modify, and/or distribute this software for any
purpose with or without fee is hereby granted.
.
THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.`,
  'BSD-2-Clause': `Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:
.
1. Redistributions of source code must retain the above copyright notice,
   this list of conditions and the following disclaimer.
2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.
.
THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE
LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR
CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF
SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN
CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE)
ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE
POSSIBILITY OF SUCH DAMAGE.`,
  'BSD-3-Clause': `Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:
.
1. Redistributions of source code must retain the above copyright notice,
   this list of conditions and the following disclaimer.
2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.
3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.
.
THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE
LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR
CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF
SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN
CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE)
ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE
POSSIBILITY OF SUCH DAMAGE.`,
  Unlicense: `This is free and unencumbered software released into the public domain.
.
Anyone is free to copy, modify, publish, use, compile, sell, or distribute this
software, either in source code form or as a compiled binary, for any purpose,
commercial or non-commercial, and by any means.
.
In jurisdictions that recognize copyright laws, the author or authors of this
software dedicate any and all copyright interest in the software to the public
domain. We make this dedication for the benefit of the public at large and to
the detriment of our heirs and successors. We intend this dedication to be an
overt act of relinquishment in perpetuity of all present and future rights to
this software under copyright law.
.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN
ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
.
For more information, please refer to <https://unlicense.org/>`,
  'Apache-2.0': `Licensed under the Apache License, Version 2.0 (the "License"); you may not
use this software except in compliance with the License. You may obtain a copy
of the License at https://www.apache.org/licenses/LICENSE-2.0
.
On Debian systems, the complete text of the Apache License, Version 2.0 can be
found in "/usr/share/common-licenses/Apache-2.0".`,
};

const PROJECT_LICENSE_FALLBACK = 'UNLICENSED';
const UNLICENSED_TEXT = `kubeadm-ha declares no license (package.json has no "license" field). Until it
does, all rights are reserved by its authors.`;

/** The npm packages (name, directory) an esbuild metafile's inputs come from, nested installs included. */
export function bundledPackages(metafiles, root) {
  const dirs = new Map();
  for (const metafile of metafiles) {
    for (const input of Object.keys(metafile.inputs)) {
      const m = input.match(/^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//);
      if (m) dirs.set(m[1], m[2]);
    }
  }
  return [...dirs].map(([dir, name]) => ({ name, dir: join(root, dir) })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.dir < b.dir ? -1 : 1));
}

/** SPDX expression → license ids, e.g. "(MIT OR Apache-2.0)" → ["MIT", "Apache-2.0"]. */
function licenseIds(expression) {
  return expression
    .replace(/[()]/g, ' ')
    .split(/\s+(?:OR|AND)\s+|\s+/)
    .filter((id) => id && id !== 'OR' && id !== 'AND');
}

/**
 * The copyright holders of a bundled package: the "Copyright (c) <year> <holder>" lines of its license file (the year
 * tells a notice from license prose such as Apache's "copyright notice that is included"), else its author.
 */
function copyrightNotice(dir, name, manifest) {
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
  const holder = author(manifest);
  if (file) {
    const notices = [];
    for (const raw of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const m = raw.trim().match(/^(?:copyright\s*(?:\(c\)|©)?|\(c\)|©)\s*((?:19|20)\d{2}\b.*)$/i);
      if (!m) continue;
      // "Copyright (c) 2020" with the holder on the next line: the author is the holder.
      notices.push(/^[\d\s,-]+$/.test(m[1]) && holder ? `${m[1].trim()} ${holder}` : m[1].trim());
    }
    if (notices.length > 0) return [...new Set(notices)];
  }
  return [holder ? `${holder} and the ${name} contributors` : `the ${name} authors`];
}

function author(manifest) {
  return typeof manifest.author === 'string' ? manifest.author.replace(/\s*[<(].*$/, '') : manifest.author?.name;
}

function field(name, lines) {
  const [first = '', ...rest] = lines;
  return [`${name}: ${first}`, ...rest.map((l) => (l === '' ? ' .' : ` ${l}`))].join('\n');
}

/**
 * @param {{ pkgName: string, binaries: string[], projectLicense?: string, metafiles: object[], root: string, nodeVersion: string }} o
 */
export function renderCopyright({ pkgName, binaries, projectLicense, metafiles, root, nodeVersion }) {
  const ownLicense = projectLicense || PROJECT_LICENSE_FALLBACK;
  const used = new Set(licenseIds(ownLicense));
  const paragraphs = [
    [
      'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
      'Upstream-Name: kubeadm-ha',
      field('Comment', [
        `${binaries.map((b) => `/usr/bin/${b}`).join(' and ')} ${binaries.length > 1 ? 'are Node.js single executable applications' : 'is a Node.js single executable application'}:`,
        `the Node.js ${nodeVersion} runtime with the kubeadm-ha sources and the npm packages listed`,
        `below bundled in. Generated by packaging/build.mjs for ${pkgName}.`,
      ]),
    ].join('\n'),
    ['Files: *', 'Copyright: the kubeadm-ha authors', `License: ${ownLicense}`].join('\n'),
    [
      'Files: node',
      'Copyright: Node.js contributors, OpenJS Foundation',
      'License: MIT',
      field('Comment', [
        'The runtime embeds V8, libuv, OpenSSL, ICU, zlib, llhttp and others under their',
        `own licenses, listed in https://github.com/nodejs/node/blob/${nodeVersion}/LICENSE`,
      ]),
    ].join('\n'),
  ];
  used.add('MIT');
  for (const { name, dir } of bundledPackages(metafiles, root)) {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const license = typeof manifest.license === 'string' ? manifest.license : manifest.license?.type;
    if (!license) throw new Error(`${name}@${manifest.version} declares no license; decide whether it may ship before bundling it`);
    const ids = licenseIds(license);
    const unknown = ids.filter((id) => !LICENSE_TEXTS[id]);
    if (unknown.length > 0)
      throw new Error(
        `${name}@${manifest.version} is licensed ${license}; add the text of ${unknown.join(', ')} to packaging/lib/copyright.mjs after checking it may ship`,
      );
    for (const id of ids) used.add(id);
    paragraphs.push(
      [
        `Files: ${relative(root, dir)}/*`,
        field('Copyright', copyrightNotice(dir, name, manifest)),
        `License: ${ids.join(/\bAND\b/.test(license) ? ' and ' : ' or ')}`,
        `Comment: ${name} ${manifest.version}`,
      ].join('\n'),
    );
  }
  for (const id of [...used].sort()) {
    const text = id === PROJECT_LICENSE_FALLBACK ? UNLICENSED_TEXT : LICENSE_TEXTS[id];
    if (!text) throw new Error(`no license text for ${id}`);
    paragraphs.push(field('License', [id, ...text.split('\n')]));
  }
  return paragraphs.join('\n\n') + '\n';
}

export function projectLicense(root) {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return typeof manifest.license === 'string' ? manifest.license : undefined;
}
