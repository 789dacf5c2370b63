/**
 * The become wrapping and the prompt/success state machine, without a host: split chunks, the
 * known failure messages, flags as Ansible treats them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Escalation, becomePlan, escalationUser } from '../../src/connection/ssh/become.js';

test('sudo command line: default flags, -n dropped and a unique prompt set when a password is given', () => {
  const plain = becomePlan("echo 'a b'", { become: true }, 'root');
  assert.match(plain.command, /^sudo -H -S -n -u root \/bin\/sh -c 'echo BECOME-SUCCESS-[a-z]{32} ; echo '"'"'a b'"'"''$/);
  assert.equal(plain.prompt, undefined);
  const withPassword = becomePlan('id', { become: true, password: 'pw', flags: '-HSn -E', exe: '/usr/local/bin/sudo' }, 'app');
  assert.match(withPassword.command, /^\/usr\/local\/bin\/sudo -HS -E -p '\[sudo via tsplay, key=[a-z]{32}\] password:' -u app \/bin\/sh -c 'echo BECOME-SUCCESS-/);
  assert.ok(!withPassword.command.includes('pw '), 'the password is not on the command line');
  // -S is added when the flags lack it: there is no terminal to read a password from
  assert.match(becomePlan('id', { become: true, flags: '-E' }, 'root').command, /^sudo -S -E -u root /);
  assert.match(becomePlan('id', { become: true, method: 'su' }, 'bob').command, /^su bob -c '\/bin\/sh -c '"'"'stty -echo -onlcr 2>\/dev\/null; echo BECOME-SUCCESS-[a-z]{32} ; id'"'"''$/);
  assert.throws(() => becomePlan('id', { become: true, method: 'doas' }, 'root'), /become_method doas is not supported over ssh/);
});

test('become is skipped for the login user', () => {
  assert.equal(escalationUser({ become: true }, 'root'), undefined);
  assert.equal(escalationUser({ become: true, user: 'deploy' }, 'deploy'), undefined);
  assert.equal(escalationUser({ become: true }, 'deploy'), 'root');
  assert.equal(escalationUser({ become: false, user: 'x' }, 'deploy'), undefined);
});

test('escalation: prompt answered once, success line removed across chunk borders, failures recognised', () => {
  const plan = becomePlan('cat', { become: true, password: 'secret' }, 'root');
  const prompt = /\[sudo via tsplay, key=[a-z]{32}\] password:/.exec(plan.command)![0];
  const written: string[] = [];
  const esc = new Escalation(plan, (d) => written.push(d));
  assert.equal(esc.feed('err', Buffer.from('We trust you have received the usual lecture\n' + prompt.slice(0, 10))), undefined);
  assert.deepEqual(written, []);
  esc.feed('err', Buffer.from(prompt.slice(10)));
  assert.deepEqual(written, ['secret\n']);
  assert.equal(esc.feed('out', Buffer.from(plan.success.slice(0, 20))), undefined);
  const rest = esc.feed('out', Buffer.from(`${plan.success.slice(20)}\nfirst output`));
  assert.equal(esc.state, 'done');
  assert.equal(rest?.toString(), 'first output');
  assert.equal(esc.feed('out', Buffer.from('more'))?.toString(), 'more');
  assert.deepEqual(written, ['secret\n']);

  const wrong = new Escalation(plan, () => undefined);
  wrong.feed('err', Buffer.from(prompt));
  wrong.feed('err', Buffer.from('\nSorry, try again.\n'));
  assert.equal(wrong.state, 'failed');
  assert.equal(wrong.failure, 'Incorrect sudo password');

  const again = new Escalation(plan, () => undefined);
  again.feed('err', Buffer.from(prompt));
  again.feed('err', Buffer.from(`\n${prompt}`));
  assert.equal(again.failure, 'Incorrect sudo password');

  const noPassword = becomePlan('id', { become: true }, 'root');
  const missing = new Escalation(noPassword, () => undefined);
  missing.feed('err', Buffer.from('sudo: a password is required\n'));
  assert.equal(missing.failure, 'Missing sudo password');

  const su = becomePlan('id', { become: true, method: 'su' }, 'bob');
  const suNoPassword = new Escalation(su, () => undefined);
  suNoPassword.feed('out', Buffer.from('Passwort: '));
  assert.equal(suNoPassword.failure, 'Missing su password');
});
