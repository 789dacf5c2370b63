/**
 * Privilege escalation over an SSH channel, as Ansible's ssh plugin does it: the command is
 * wrapped so it first prints a random success key; when a password is expected, the (unique)
 * prompt is watched for on stdout and stderr, the password is written to stdin once, and only
 * after the success key came back does the command's own input follow. Everything up to the key
 * (prompts, sudo's lecture) is dropped from the output. The password only ever travels on stdin.
 */
import { randomBytes } from 'node:crypto';
import type { BecomeOptions } from '../types.js';
import { shellQuote } from '../local.js';

export interface BecomePlan {
  method: 'sudo' | 'su';
  /** the whole command line for the channel */
  command: string;
  /** su reads its password from a terminal only */
  pty: boolean;
  password?: string;
  /** what the password prompt looks like */
  prompt?: RegExp;
  /** the line the command prints once escalation succeeded */
  success: string;
}

/** 32 random lowercase letters, like Ansible's become id */
function randomKey(): string {
  const bytes = randomBytes(32);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(97 + (b % 26));
  return s;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** su's prompt in the languages Ansible knows it in (become/su.py), then a colon */
const SU_PROMPTS = [
  'Password', '암호', 'パスワード', 'Adgangskode', 'Contraseña', 'Contrasenya', 'Hasło', 'Heslo', 'Jelszó', 'Lösenord',
  'Mật khẩu', 'Mot de passe', 'Parola', 'Parool', 'Pasahitza', 'Passord', 'Passwort', 'Salasana', 'Sandi', 'Senha',
  'Wachtwoord', 'ססמה', 'Лозинка', 'Парола', 'Пароль', 'गुप्तशब्द', 'शब्दकूट', 'సంకేతపదము', 'හස්පදය', '密码', '密碼', '口令',
];
const SU_PROMPT = new RegExp(`(\\w+'s )?(${SU_PROMPTS.map(escapeRegExp).join('|')}) ?(:|：) ?`, 'i');

/**
 * The user a call must become, or undefined when it runs as the login user: Ansible skips become
 * when the become user is the one it logged in as.
 */
export function escalationUser(become: BecomeOptions | undefined, loginUser: string): string | undefined {
  if (!become?.become) return undefined;
  const user = become.user && become.user !== '' ? become.user : 'root';
  return user === loginUser ? undefined : user;
}

/** wraps `inner` (a shell command line) so it runs as `user` */
export function becomePlan(inner: string, become: BecomeOptions, user: string): BecomePlan {
  const success = `BECOME-SUCCESS-${randomKey()}`;
  const method = (become.method ?? 'sudo').trim() || 'sudo';
  const password = become.password !== undefined && become.password !== '' ? become.password : undefined;
  if (method === 'su') {
    // the terminal su needs would echo our input and turn \n into \r\n: both are switched off
    // once su has let us in, before the success key
    const script = `stty -echo -onlcr 2>/dev/null; echo ${success} ; ${inner}`;
    const exe = become.exe && become.exe !== '' ? become.exe : 'su';
    const flags = become.flags ?? '';
    return {
      method: 'su',
      command: `${exe} ${flags} ${shellQuote(user)} -c ${shellQuote(`/bin/sh -c ${shellQuote(script)}`)}`.replace(/ {2,}/g, ' '),
      pty: true,
      password,
      prompt: SU_PROMPT,
      success,
    };
  }
  if (method !== 'sudo') {
    throw new Error(`become_method ${method} is not supported over ssh (sudo and su are)`);
  }
  const exe = become.exe && become.exe !== '' ? become.exe : 'sudo';
  let flags = (become.flags ?? '-H -S -n').split(/\s+/).filter((f) => f !== '');
  // no terminal here: sudo must read any password from stdin
  if (!flags.some((f) => f === '-S' || (/^-[A-Za-z]+$/.test(f) && f.includes('S')))) flags.unshift('-S');
  let promptArgs = '';
  let prompt: RegExp | undefined;
  if (password !== undefined) {
    flags = flags.map((f) => (/^-[A-Za-z]+$/.test(f) ? f.replace(/n/g, '') : f)).filter((f) => f !== '-');
    const text = `[sudo via tsplay, key=${randomKey()}] password:`;
    promptArgs = ` -p ${shellQuote(text)}`;
    prompt = new RegExp(escapeRegExp(text));
  }
  return {
    method: 'sudo',
    command: `${exe} ${flags.join(' ')}${promptArgs} -u ${shellQuote(user)} /bin/sh -c ${shellQuote(`echo ${success} ; ${inner}`)}`,
    pty: false,
    password,
    prompt,
    success,
  };
}

export type EscalationState = 'pending' | 'done' | 'failed';

/**
 * Watches a channel's output while escalation is pending: answers the prompt, recognises success
 * and the known failures. `feed` returns what of a chunk belongs to the command (nothing before
 * success).
 */
export class Escalation {
  state: EscalationState = 'pending';
  failure?: string;
  private out = '';
  private err = '';
  private answered = 0;

  constructor(private readonly plan: BecomePlan, private readonly writeStdin: (data: string) => void) {}

  /** stdout/stderr seen while pending, prompts removed: what a failing command printed */
  pendingOutput(): { stdout: string; stderr: string } {
    const strip = (s: string): string => (this.plan.prompt ? s.replace(new RegExp(this.plan.prompt.source, 'gi'), '') : s);
    return { stdout: strip(this.out), stderr: strip(this.err) };
  }

  feed(kind: 'out' | 'err', chunk: Buffer): Buffer | undefined {
    if (this.state === 'done') return chunk;
    if (this.state === 'failed') return undefined;
    // latin1 keeps byte offsets equal to string offsets
    const text = chunk.toString('latin1');
    if (kind === 'out') this.out += text;
    else this.err += text;
    return this.examine();
  }

  private examine(): Buffer | undefined {
    const plan = this.plan;
    const at = this.out.indexOf(plan.success);
    if (at >= 0) {
      const nl = this.out.indexOf('\n', at);
      if (nl < 0) return undefined; // the rest of the line is still on its way
      this.state = 'done';
      const rest = this.out.slice(nl + 1);
      this.out = '';
      this.err = '';
      return rest === '' ? undefined : Buffer.from(rest, 'latin1');
    }
    const seen = this.out + '\n' + this.err;
    if (plan.method === 'sudo') {
      if (/Sorry, try again\./.test(seen)) return this.fail('Incorrect sudo password');
      if (/a password is required/.test(seen)) return this.fail('Missing sudo password');
    } else if (/Authentication failure|incorrect password|Sorry/i.test(seen) && this.answered > 0) {
      return this.fail('Incorrect su password');
    }
    if (plan.prompt) {
      const prompts = seen.match(new RegExp(plan.prompt.source, 'gi'))?.length ?? 0;
      if (prompts > this.answered) {
        if (this.answered > 0) return this.fail(`Incorrect ${plan.method} password`);
        if (plan.password === undefined) return this.fail(`Missing ${plan.method} password`);
        this.answered = prompts;
        this.writeStdin(plan.password + '\n');
      }
    }
    return undefined;
  }

  private fail(message: string): undefined {
    this.state = 'failed';
    this.failure = message;
    return undefined;
  }
}
