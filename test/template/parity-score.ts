/**
 * Prints the parity score of tsplay's templating against real Ansible:
 *   npx tsc -p tsconfig.json && node dist/test/template/parity-score.js [--failures]
 */
import { runCorpus, acceptedDifferences } from './parity-lib.js';

const outcomes = runCorpus();
const accepted = acceptedDifferences();
const passed = outcomes.filter((o) => o.pass).length;
const acceptedFailing = outcomes.filter((o) => !o.pass && accepted.has(`${o.c.group}\t${o.c.t}`)).length;
if (process.argv.includes('--failures')) {
  for (const o of outcomes.filter((x) => !x.pass)) {
    const tag = accepted.has(`${o.c.group}\t${o.c.t}`) ? ' (accepted)' : '';
    console.log(`[${o.c.group}/${o.c.mode}]${tag} ${JSON.stringify(o.c.t)}\n   want ${o.want}\n   got  ${o.got}`);
  }
}
console.log(`parity: ${passed}/${outcomes.length} identical to Ansible 2.14 (${acceptedFailing} accepted differences, ${outcomes.length - passed - acceptedFailing} unexpected)`);
