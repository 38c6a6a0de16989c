// Manual pages made from the executables' own --help text, the way help2man does, so a man page can never say other
// than --help: coordinatorctl(1) from its command list and each command's --help, kubeadm-ha-coordinator(8) and
// kubeadm-ha-agent(8) from their usage and flag lists. Run on the built executables at packaging time.
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';

/** Text as roff: backslashes, hyphens (so flags stay ASCII minus signs) and control characters at a line start. */
export function roff(text) {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

/** Preformatted lines (usage blocks keep their alignment). */
const verbatim = (text) => ['.RS 4', '.nf', roff(text.replace(/\s+$/, '')), '.fi', '.RE'].join('\n');

function header(name, section, date, version) {
  return `.TH ${name.toUpperCase()} ${section} "${date}" "kubeadm-ha ${version}" "kubeadm-ha"`;
}

/**
 * Splits a daemon's --help ("usage: NAME [flags]\n\n  --flag ARG   what it does\n        more of it") into its
 * synopsis and its flags, each with its description joined from its continuation lines.
 */
export function parseDaemonHelp(help) {
  const lines = help.replace(/\s+$/, '').split('\n');
  const synopsis = lines[0].replace(/^usage:\s*/, '');
  const flags = [];
  for (const line of lines.slice(1)) {
    const item = /^ {2}(-{1,2}[a-z][\w-]*(?: [A-Z][A-Z:.]*)?)(?:\s{2,}(.*))?$/.exec(line);
    if (item) flags.push({ flag: item[1], text: item[2] ?? '' });
    else if (line.trim() && flags.length > 0) flags[flags.length - 1].text += ` ${line.trim()}`;
  }
  return { synopsis, flags };
}

/** kubeadm-ha-coordinator(8) or kubeadm-ha-agent(8). */
export function daemonManPage({ name, summary, description, help, date, version, seeAlso }) {
  const { synopsis, flags } = parseDaemonHelp(help);
  return [
    header(name, 8, date, version),
    '.SH NAME',
    `${name} \\- ${roff(summary)}`,
    '.SH SYNOPSIS',
    roff(synopsis),
    '.SH DESCRIPTION',
    roff(description.join(' ')),
    '.SH OPTIONS',
    ...flags.flatMap(({ flag, text }) => ['.TP', `.B ${roff(flag)}`, roff(text)]),
    '.SH SEE ALSO',
    seeAlso.map((s) => `.BR ${s.replace(/\((\d)\)$/, ' ($1)')}`).join(',\n'),
    '',
  ].join('\n');
}

/**
 * coordinatorctl(1): its --help's command list, then a subsection per command with that command's --help: summary,
 * usage, and the connection flags the online commands share (said once, in their own section).
 */
export function coordinatorctlManPage({ topHelp, commandHelps, date, version, description }) {
  const title = topHelp.split('\n')[0].replace(/^coordinatorctl:\s*/, '');
  const connection = commandHelps.map((c) => c.help).find((h) => h.includes('Connection flags'));
  const connectionBlock = connection ? connection.slice(connection.indexOf('Connection flags')).split('\n').slice(1).join('\n') : '';
  const commands = commandHelps.flatMap(({ name, help }) => {
    const body = connectionBlock ? help.replace(/\n*Connection flags[\s\S]*$/, '') : help;
    const [summary, ...rest] = body.split('\n\n');
    const usage = rest.join('\n\n').replace(/^usage: /, '');
    return ['.SS ' + roff(name), roff(summary.trim()), '.PP', verbatim(usage)];
  });
  return [
    header('coordinatorctl', 1, date, version),
    '.SH NAME',
    `coordinatorctl \\- ${roff(title)}`,
    '.SH SYNOPSIS',
    '.B coordinatorctl',
    '.I command',
    '[flags]',
    '.br',
    '.B coordinatorctl',
    '.I command',
    '.B \\-\\-help',
    '.SH DESCRIPTION',
    roff(description.join(' ')),
    '.SH COMMANDS',
    ...commands,
    ...(connectionBlock ? ['.SH CONNECTION FLAGS', 'Every command that talks to the coordinator takes:', '.PP', verbatim(connectionBlock)] : []),
    '.SH EXIT STATUS',
    '0 on success, 1 when the command failed (the message names what to do), 2 for wrong flags or arguments.',
    '.SH SEE ALSO',
    '.BR kubeadm\\-ha\\-coordinator (8),',
    '.BR kubeadm\\-ha\\-agent (8)',
    '',
  ].join('\n');
}

/** What an executable prints for `args` (its --help), from the built single-file binary. */
function helpOf(binary, args) {
  return execFileSync(binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}

/** The section-8 pages: each daemon's one-line summary and its neighbours. */
const DAEMONS = [
  { name: 'kubeadm-ha-coordinator', summary: 'the kubeadm-ha coordinator daemon', seeAlso: ['coordinatorctl(1)', 'kubeadm-ha-agent(8)'] },
  { name: 'kubeadm-ha-agent', summary: 'the kubeadm-ha agent, one per host', seeAlso: ['kubeadm-ha-coordinator(8)', 'coordinatorctl(1)'] },
];

/**
 * The three pages, gzipped (Debian wants them compressed; the .rpm gets the same bytes), keyed by the `generated`
 * names in layout.mjs. `binary(name)` is the path of a built executable; `date` is the build's SOURCE_DATE_EPOCH day.
 */
export function buildManPages({ binary, version, date, packages }) {
  const description = (name) => packages.find((p) => p.binaries.includes(name)).description;
  const topHelp = helpOf(binary('coordinatorctl'), ['--help']);
  const names = [...topHelp.matchAll(/^ {2}([a-z][a-z-]*) {2,}/gm)].map((m) => m[1]);
  const commandHelps = names.map((name) => ({ name, help: helpOf(binary('coordinatorctl'), [name, '--help']) }));
  const gz = (text) => gzipSync(Buffer.from(text, 'utf8'), { level: 9 });
  return {
    'man:coordinatorctl': gz(coordinatorctlManPage({ topHelp, commandHelps, date, version, description: description('coordinatorctl') })),
    ...Object.fromEntries(
      DAEMONS.map(({ name, summary, seeAlso }) => [
        `man:${name}`,
        gz(daemonManPage({ name, summary, description: description(name), help: helpOf(binary(name), ['--help']), date, version, seeAlso })),
      ]),
    ),
    'completion:bash': helpOf(binary('coordinatorctl'), ['completion', 'bash']),
  };
}
