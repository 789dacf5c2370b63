#!/usr/bin/python3
"""Runs every case in cases.yaml through real Ansible (ansible-core's Templar and Conditional)
and writes expected.json, the oracle the tsplay parity test compares against.

Regenerate with:  /usr/bin/python3 test/template/corpus/generate_expected.py
"""
import json
import os
import sys

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.conditional import Conditional
from ansible.template import Templar
from ansible.utils.unsafe_proxy import wrap_var, AnsibleUnsafe
from ansible.module_utils.common.collections import is_sequence

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, 'fixtures')


def enc(v):
    out = None
    if isinstance(v, bool):
        out = {'t': 'bool', 'v': v}
    elif v is None:
        out = {'t': 'none'}
    elif isinstance(v, int):
        out = {'t': 'int', 'v': v}
    elif isinstance(v, float):
        out = {'t': 'float', 'v': repr(v)}
    elif isinstance(v, str):
        out = {'t': 'str', 'v': str(v)}
    elif isinstance(v, tuple):
        out = {'t': 'tuple', 'v': [enc(x) for x in v]}
    elif isinstance(v, list):
        out = {'t': 'list', 'v': [enc(x) for x in v]}
    elif isinstance(v, dict):
        out = {'t': 'dict', 'v': [[str(k), enc(x)] for k, x in v.items()]}
    else:
        out = {'t': 'other:' + type(v).__name__, 'v': str(v)}
    if isinstance(v, AnsibleUnsafe):
        out['unsafe'] = True
    return out


def build_context(raw):
    ctx = {}
    for k, v in raw.items():
        ctx[k] = wrap_var(v) if k.startswith('unsafe_') else v
    ctx['ansible_search_path'] = [FIXTURES]
    return ctx


def run_case(case, ctx):
    src = case['t']
    mode = case.get('mode', 'template')
    loader = DataLoader()
    loader.set_basedir(FIXTURES)
    templar = Templar(loader=loader, variables=ctx)
    try:
        if mode == 'template':
            res = templar.template(src)
        elif mode == 'file':
            res = templar.do_template(src, preserve_trailing_newlines=True, escape_backslashes=False)
        elif mode == 'cond':
            cond = Conditional(loader=loader)
            cond.when = [src]
            res = cond.evaluate_conditional(templar, ctx)
        else:
            raise ValueError(mode)
        return {'ok': True, 'value': enc(res)}
    except Exception as e:  # the oracle records Ansible's error text
        return {'ok': False, 'error': str(e).split('\n')[0]}


def main():
    with open(os.path.join(HERE, 'cases.yaml')) as f:
        doc = yaml.safe_load(f)
    raw_ctx = doc['context']
    cases = []
    for group in doc['groups']:
        for item in group['cases']:
            case = item if isinstance(item, dict) else {'t': item}
            case = dict(case)
            case.setdefault('mode', group.get('mode', 'template'))
            case['group'] = group['name']
            cases.append(case)
    out_cases = []
    for case in cases:
        ctx = build_context(raw_ctx)
        result = run_case(case, ctx)
        out_cases.append({'group': case['group'], 'mode': case['mode'], 't': case['t'], **result})
    ctx_enc = enc({k: v for k, v in build_context(raw_ctx).items()})
    with open(os.path.join(HERE, 'expected.json'), 'w') as f:
        json.dump({'generator': 'ansible-core ' + __import__('ansible.release').release.__version__,
                   'fixtures': 'fixtures', 'context': ctx_enc, 'cases': out_cases}, f, indent=1, ensure_ascii=False)
        f.write('\n')
    print('%d cases written' % len(out_cases))
    write_collection_templates()


def write_collection_templates():
    """Whether Jinja (as Ansible configures it) parses each .j2 template shipped with
    ansible-core and its collections: real-world syntax tsplay must accept too."""
    import glob
    templar = Templar(loader=DataLoader())
    roots = ['/usr/lib/python3/dist-packages/ansible', '/usr/lib/python3/dist-packages/ansible_collections']
    result = {}
    for root in roots:
        for path in sorted(glob.glob(os.path.join(root, '**', '*.j2'), recursive=True)):
            with open(path, encoding='utf-8', errors='replace') as f:
                src = f.read()
            try:
                templar.environment.parse(src)
                result[path] = 'ok'
            except Exception as e:
                result[path] = 'error: ' + str(e).split('\n')[0]
    with open(os.path.join(HERE, 'collection-templates.json'), 'w') as f:
        json.dump(result, f, indent=1)
        f.write('\n')
    print('%d collection templates checked' % len(result))


if __name__ == '__main__':
    sys.exit(main())
