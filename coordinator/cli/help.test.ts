import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../../test/support/coordinatorctl.js';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCommands } from './cli.js';
import { CONNECTION_HELP, bashCompletion, flagSpellings, valueHint, zshCompletion } from './help.js';

const commands = await loadCommands();
const dir = mkdtempSync(join(tmpdir(), 'kha-help-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--help names every flag the parser takes, and no other', () => {
  it.each(commands.map((c) => [c.name, c]))('%s', async (_name, command) => {
    const help = (await cli(command.name, '--help')).out;
    // Each flag by one of its spellings at least (-f stands for --file too).
    for (const [flag, o] of Object.entries(command.options)) {
      const spellings = [`--${flag}`, ...(o.short ? [`-${o.short}`] : [])];
      expect(help, `${command.name}: ${spellings.join(' or ')}`).toMatch(new RegExp(`(^|[\\s\\[|])(${spellings.join('|')})([\\s\\]=|,]|$)`, 'm'));
    }
    const mentioned = new Set([...help.matchAll(/(?:^|[\s[|])(--[a-z][a-z-]*)/gm)].map((m) => m[1]!));
    const accepted = new Set(flagSpellings(command).filter((s) => s.startsWith('--')));
    expect(
      [...mentioned].filter((f) => !accepted.has(f) && f !== '--help'),
      command.name,
    ).toEqual([]);
    if ('admin-conf' in command.options) expect(help).toContain(CONNECTION_HELP);
  });
});

describe('coordinatorctl completion', () => {
  it('refuses anything but bash or zsh, with its usage and exit 2', async () => {
    for (const args of [[], ['fish'], ['bash', 'zsh']]) {
      const r = await cli('completion', ...args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^coordinatorctl completion: say bash or zsh\nusage: coordinatorctl completion bash\|zsh/);
    }
  });

  it('reads each value from the usage text: files, directories, fixed words, free text', () => {
    const by = (name: string) => commands.find((c) => c.name === name)!;
    expect(valueHint(by('deploy'), 'file')).toEqual({ kind: 'file' });
    expect(valueHint(by('render'), 'output')).toEqual({ kind: 'dir' });
    expect(valueHint(by('status'), 'output')).toEqual({ kind: 'words', words: ['json'] });
    expect(valueHint(by('token'), 'role')).toEqual({ kind: 'words', words: ['worker', 'control-plane'] });
    expect(valueHint(by('etcd'), 'from')).toEqual({ kind: 'file' });
    expect(valueHint(by('token'), 'ttl')).toEqual({ kind: 'text' });
    expect(valueHint(by('upgrade'), 'admin-conf')).toEqual({ kind: 'file' });
  });

  /** What bash offers after `words`, the last one being the word under the cursor. */
  function complete(script: string, words: readonly string[]): string[] {
    const file = join(dir, 'completion.bash');
    writeFileSync(file, script);
    const quoted = words.map((w) => `'${w}'`).join(' ');
    const r = spawnSync(
      'bash',
      ['-c', `source ${file}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _coordinatorctl; printf '%s\\n' "\${COMPREPLY[@]}"`],
      { encoding: 'utf8', cwd: dir },
    );
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter(Boolean).sort();
  }

  it('bash: commands, subcommands, flags and their values, the way bash asks for them', async () => {
    const r = await cli('completion', 'bash');
    expect(r.code).toBe(0);
    const script = r.out;
    expect(script).toBe(bashCompletion(commands));
    expect(complete(script, ['coordinatorctl', 'de'])).toEqual(['deploy']);
    expect(complete(script, ['coordinatorctl', ''])).toEqual([...commands.map((c) => c.name), 'completion', 'help', '--help', '--version'].sort());
    expect(complete(script, ['coordinatorctl', 'token', ''])).toEqual(['create', 'delete', 'list']);
    expect(complete(script, ['coordinatorctl', 'etcd', 're'])).toEqual(['restore']);
    expect(complete(script, ['coordinatorctl', 'deploy', '--dr'])).toEqual(['--dry-run']);
    expect(complete(script, ['coordinatorctl', 'status', '--'])).toEqual(['--admin-conf', '--coordinator', '--help', '--output']);
    expect(complete(script, ['coordinatorctl', 'token', 'create', '--role', ''])).toEqual(['control-plane', 'worker']);
    expect(complete(script, ['coordinatorctl', 'status', '-o', ''])).toEqual(['json']);
    writeFileSync(join(dir, 'cluster.yaml'), 'x');
    expect(complete(script, ['coordinatorctl', 'deploy', '-f', 'clu'])).toEqual(['cluster.yaml']);
    writeFileSync(join(dir, 'my cluster.yaml'), 'x');
    expect(complete(script, ['coordinatorctl', 'add-node', '--file', 'my'])).toEqual(['my cluster.yaml']);
    // A free-text value gets nothing, never the flags.
    expect(complete(script, ['coordinatorctl', 'add-node', '--node', ''])).toEqual([]);
    expect(complete(script, ['coordinatorctl', 'completion', ''])).toEqual(['bash', 'zsh']);
  });

  it('zsh: a compdef script zsh parses, with every command, subcommand and flag', async () => {
    const r = await cli('completion', 'zsh');
    expect(r.code).toBe(0);
    expect(r.out).toBe(zshCompletion(commands));
    expect(r.out.startsWith('#compdef coordinatorctl\n')).toBe(true);
    for (const c of commands) {
      expect(r.out).toContain(`    '${c.name}:`);
      for (const [flag, o] of Object.entries(c.options)) expect(r.out).toMatch(o.short ? `{-${o.short},--${flag}}` : `--${flag}'[`);
      if (c.subcommands) expect(r.out).toContain(`'1:subcommand:(${c.subcommands.join(' ')})'`);
    }
    const file = join(dir, '_coordinatorctl');
    writeFileSync(file, r.out);
    const zsh = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
    if (zsh.error) throw new Error(`zsh is needed to check the zsh completion: run sudo npm run setup (${zsh.error.message})`);
    expect(zsh.stderr).toBe('');
    expect(zsh.status).toBe(0);
  });
});
