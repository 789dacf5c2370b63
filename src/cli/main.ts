#!/usr/bin/env node
/**
 * tsplay's command line. `tsplay run` takes ansible-playbook's flags with the same meanings.
 * User errors are rendered once here, without a stack trace; anything else is a tsplay bug.
 */
import { Command, CommanderError, Option } from 'commander';
import { EXIT, UserError, UserErrors } from '../util/errors.js';
import { VERSION } from '../version.js';
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';

const collect = (value: string, previous: string[]) => [...previous, value];
const count = (_v: string, previous: number) => previous + 1;

/**
 * `--tags a,b` as ansible-playbook splits it. An empty piece stays: `--tags ''` selects the tag ''
 * that no task has, so only `always` tasks run, as in Ansible (it is not "no --tags").
 */
function splitTags(values: string[]): string[] {
  return [...new Set(values.flatMap((v) => v.split(',')).map((s) => s.trim()))];
}

interface RunFlags {
  inventory: string[];
  extraVars: string[];
  tags: string[];
  skipTags: string[];
  limit?: string;
  check?: boolean;
  diff?: boolean;
  listTasks?: boolean;
  listTags?: boolean;
  listHosts?: boolean;
  syntaxCheck?: boolean;
  startAtTask?: string;
  forks: string;
  connection?: string;
  verbose: number;
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: string;
  user?: string;
  privateKey?: string;
  timeout?: string;
  askPass?: boolean;
  connectionPasswordFile?: string;
  askBecomePass?: boolean;
  becomePasswordFile?: string;
  privateKeyPassphraseFile?: string;
  forceHandlers?: boolean;
  json?: string;
  live?: boolean;
  vaultId: string[];
  vaultPasswordFile: string[];
  /** Ansible's other spellings of the two vault options */
  vaultPassFile: string[];
  askVaultPass?: boolean;
  askVaultPassword?: boolean;
}

async function runCommand(playbooks: string[], flags: RunFlags): Promise<number> {
  const { parseExtraVars } = await import('./extra-vars.js');
  const { runPlaybooks } = await import('./run.js');
  const { makeReporter } = await import('../report/choose.js');
  const cwd = process.cwd();
  await (await import('./vault.js')).setupVault(
    { vaultId: flags.vaultId, vaultPasswordFile: [...flags.vaultPasswordFile, ...flags.vaultPassFile], askVaultPass: flags.askVaultPass || flags.askVaultPassword },
    cwd,
  );
  const forks = Number(flags.forks);
  if (!Number.isInteger(forks) || forks < 1) throw new UserError(`forks must be a positive integer, got '${flags.forks}'`, undefined, EXIT.usage);
  const timeout = flags.timeout === undefined ? undefined : Number(flags.timeout);
  if (timeout !== undefined && !(timeout > 0)) throw new UserError(`-T/--timeout must be a positive number of seconds, got '${flags.timeout}'`, undefined, EXIT.usage);
  if (flags.connection !== undefined) {
    // Ansible fails every host's first task on an unknown plugin; nothing can run, so say it now
    const { DOCKER_NAMES, LOCAL_NAMES, SSH_NAMES } = await import('../connection/index.js');
    const c = flags.connection;
    if (!SSH_NAMES.has(c) && !LOCAL_NAMES.has(c) && !DOCKER_NAMES.has(c)) {
      throw new UserError(`the connection plugin '${c}' was not found (-c/--connection)`, undefined, EXIT.usage);
    }
  }
  const listing = flags.listTasks || flags.listTags || flags.listHosts || flags.syntaxCheck;
  const passwords = listing ? {} : await (await import('./passwords.js')).collectPasswords(flags);
  const options = {
    check: flags.check ?? false,
    diff: flags.diff ?? false,
    forks,
    verbosity: flags.verbose,
    tags: splitTags(flags.tags),
    skipTags: splitTags(flags.skipTags),
    limit: flags.limit === undefined ? undefined : limitPattern(flags.limit, cwd),
    startAtTask: flags.startAtTask,
    connection: flags.connection,
    extraVars: parseExtraVars(flags.extraVars, cwd),
    become: flags.become,
    becomeUser: flags.becomeUser,
    becomeMethod: flags.becomeMethod,
    user: flags.user,
    privateKey: flags.privateKey,
    timeout,
    ...passwords,
    forceHandlers: flags.forceHandlers ?? false,
  };
  const json = flags.json ?? process.env.TSPLAY_JSON;
  if (json) (await import('../report/json.js')).checkJsonPath(json);
  const out = (line: string) => process.stdout.write(line + '\n');
  return runPlaybooks({
    playbooks,
    inventory: flags.inventory,
    options,
    cwd,
    listTasks: flags.listTasks ?? false,
    listTags: flags.listTags ?? false,
    listHosts: flags.listHosts ?? false,
    syntaxCheck: flags.syntaxCheck ?? false,
    out,
    reporter: () => makeReporter({ verbosity: flags.verbose, check: options.check, diff: options.diff, json, live: flags.live }),
  });
}

/** `--limit @file`: the hosts listed in the file, one a line, as ansible-playbook reads them */
function limitPattern(limit: string, cwd: string): string {
  if (!limit.startsWith('@')) return limit;
  const file = resolvePath(cwd, limit.slice(1));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`Unable to find limit file ${file} (--limit ${limit}): ${(err as Error).message}`, undefined, EXIT.usage);
  }
  const hosts = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return hosts.join(',');
}

/** serve-mirror's arguments, checked before anything listens */
async function mirrorArgs(dir: string, flags: { host: string; port: string }): Promise<number> {
  const { statSync } = await import('node:fs');
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new UserError(`serve-mirror: ${dir} is not a directory (the mirror to serve, holding simple/)`, undefined, EXIT.usage);
  const port = Number(flags.port);
  if (!/^\d+$/.test(flags.port) || port > 65535) throw new UserError(`serve-mirror: --port must be a number from 0 to 65535, got '${flags.port}'`, undefined, EXIT.usage);
  return port;
}

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('tsplay')
    .description('Runs Ansible playbooks and roles, fast, locally or on remote hosts')
    .version(`tsplay ${VERSION} (ansible-core 2.14 compatible)`, '--version')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('run')
    .description('run playbooks, as ansible-playbook does')
    .argument('<playbook...>', 'playbook files')
    .option('-i, --inventory <source>', 'inventory file, directory or comma-separated host list (repeatable)', collect, [])
    .option('-e, --extra-vars <vars>', 'extra variables: key=value, YAML/JSON, or @file (repeatable)', collect, [])
    .option('-t, --tags <tags>', 'only run plays and tasks tagged with these values (repeatable)', collect, [])
    .option('--skip-tags <tags>', 'only run plays and tasks whose tags do not match these values (repeatable)', collect, [])
    .option('-l, --limit <pattern>', 'further limit selected hosts to an additional pattern')
    .option('-C, --check', "don't make any changes; try to predict some of the changes that may occur")
    .option('-D, --diff', 'show the differences in files and templates that change')
    .option('--list-tasks', 'list all tasks that would be executed')
    .option('--list-tags', 'list all available tags')
    .option('--list-hosts', 'outputs a list of matching hosts; does not execute anything else')
    .option('--syntax-check', 'perform a syntax check on the playbook, but do not execute it')
    .option('--start-at-task <name>', 'start the playbook at the task matching this name')
    .option('-f, --forks <n>', 'number of parallel processes to use', '5')
    .option('-c, --connection <type>', 'connection type to use (ssh, the default; local; community.docker.docker_api)')
    .option('-v, --verbose', 'verbose mode (-vvv for more)', count, 0)
    .option('-b, --become', 'run operations with become')
    .option('--become-user <user>', 'run operations as this user')
    .option('--become-method <method>', 'privilege escalation method to use')
    .option('-u, --user <user>', 'connect as this user')
    .option('--private-key <file>', 'use this file to authenticate the connection')
    .option('-T, --timeout <seconds>', 'override the connection timeout in seconds (default 10)')
    .option('-k, --ask-pass', 'ask for the connection password')
    .option('--connection-password-file <file>', 'connection password file')
    .option('-K, --ask-become-pass', 'ask for the privilege escalation password')
    .option('--become-password-file <file>', 'become password file')
    .option('--private-key-passphrase-file <file>', 'passphrase of an encrypted --private-key / IdentityFile (tsplay only)')
    .option('--force-handlers', 'run handlers even if a task fails')
    .option('--vault-id <id>', 'the vault identity to use: [label@]file, script or prompt (repeatable)', collect, [])
    .option('--vault-password-file <file>', 'vault password file (repeatable)', collect, [])
    .addOption(new Option('--vault-pass-file <file>').hideHelp().argParser(collect).default([]))
    .option('-J, --ask-vault-pass', 'ask for vault password')
    .addOption(new Option('--ask-vault-password').hideHelp())
    .addOption(new Option('--json <file>', 'write every task result per host and the recap as JSON to this file'))
    .addOption(new Option('--live', 'force the live (listr2) view even when stdout is not a terminal'))
    .action(async (playbooks: string[], flags: RunFlags) => setExit(await runCommand(playbooks, flags)));

  program
    .command('check')
    .description('load playbooks and validate role arguments without running anything (file:line errors)')
    .argument('<playbook...>', 'playbook files')
    .option('-e, --extra-vars <vars>', 'extra variables (repeatable)', collect, [])
    .option('-i, --inventory <source>', 'inventory (repeatable)', collect, [])
    .option('-t, --tags <tags>', 'validate only roles that run under these tags', collect, [])
    .option('--skip-tags <tags>', 'skip tags', collect, [])
    .action(async (playbooks: string[], flags: { extraVars: string[]; inventory: string[]; tags: string[]; skipTags: string[] }) => {
      const { checkPlaybooks } = await import('./check.js');
      setExit(await checkPlaybooks(playbooks, flags));
    });

  program
    .command('schema')
    .description("print the JSON Schema of a role's arguments (for editors)")
    .argument('<role>', 'role name or path')
    .option('--entry-point <name>', 'entry point', 'main')
    .action(async (role: string, flags: { entryPoint: string }) => {
      const { printRoleSchema } = await import('./schema.js');
      setExit(await printRoleSchema(role, flags.entryPoint));
    });

  program
    .command('serve-mirror')
    .description('serve a pip mirror directory (PEP 503 HTML and PEP 691 JSON) over HTTP')
    .argument('<dir>', 'mirror directory (holding simple/)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port', '8080')
    .action(async (dir: string, flags: { host: string; port: string }) => {
      const { serveMirror } = await import('../mirror/serve.js');
      const port = await mirrorArgs(dir, flags);
      const server = await serveMirror(dir, { host: flags.host, port }).catch((err: NodeJS.ErrnoException) => {
        // the address is the user's choice: taken, not ours, or no such host
        const why = err.code === 'EADDRINUSE' ? 'the port is in use' : err.code === 'EADDRNOTAVAIL' ? 'the address is not one of this machine' : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' ? 'no such host' : err.code === 'EACCES' ? 'permission denied (a port below 1024 needs root)' : undefined;
        if (why) throw new UserError(`serve-mirror: cannot listen on ${flags.host}:${port}: ${why} (${err.code})`, undefined, EXIT.usage);
        throw err;
      });
      process.stdout.write(`serving ${dir} at ${server.url} (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => void server.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      setExit(EXIT.ok);
    });

  return program;
}

async function main(argv: string[]): Promise<number> {
  let exit: number = EXIT.ok;
  const program = buildProgram((c) => {
    exit = c;
  });
  try {
    await program.parseAsync(argv);
    return exit;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.version' || err.code === 'commander.helpDisplayed' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    // what the plain reporter still holds comes before the error, as it happened
    (await import('../report/choose.js')).flushReportOutput();
    if (err instanceof UserError || err instanceof UserErrors) {
      const { renderErrors } = await import('./render-error.js');
      process.stderr.write(renderErrors(err) + '\n');
      return err instanceof UserError ? err.exitCode : EXIT.invalidInput;
    }
    const e = err as Error;
    process.stderr.write(
      `ERROR! Unexpected failure inside tsplay (this is a bug, please report it): ${e.message}\n` +
        (process.env.TSPLAY_DEBUG ? `${e.stack}\n` : 'Run again with TSPLAY_DEBUG=1 for the stack trace.\n') +
        'To report it, send the command line, `tsplay --version`, the smallest playbook that shows it and that stack trace to the tsplay maintainers.\n',
    );
    return EXIT.bug;
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
    // an interrupted run does not wait for what was left hanging (a host that never answers)
    if (code === EXIT.interrupted) {
      void import('../report/choose.js').then(({ flushReportOutput }) => {
        flushReportOutput();
        process.stdout.write('', () => process.exit(code));
      });
    }
  },
  () => {
    process.exitCode = EXIT.bug;
  },
);
