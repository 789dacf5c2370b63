/**
 * The controller-side Python helper, run with the Python that runs ansible-playbook so that it
 * imports the installed ansible-core. It never runs a module itself: it resolves module names with
 * Ansible's own plugin loader, builds the AnsiballZ payload with Ansible's own module_common (whose
 * per-process cache keeps the zipped module, so only the argument wrapper is rebuilt per task), and
 * parses what the module printed with Ansible's own JSON filter.
 *
 * Two modes: `resolve NAME...` prints one JSON answer per name and exits (the loader is synchronous
 * and asks before anything runs); with no argument it serves JSON lines on stdin/stdout until
 * stdin closes or it gets SIGTERM (both run the atexit hook that removes Ansible's local tmp dir).
 */
export const HELPER_SOURCE = String.raw`# tsplay-fallback-helper (ansible-core payload builder for tsplay)
import json, os, re, signal, sys

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
# Ansible's display writes warnings to stdout/stderr; the protocol owns stdout
_real_stdout = sys.stdout
sys.stdout = sys.stderr

from ansible import constants as C
from ansible.release import __version__
from ansible.plugins.loader import module_loader, action_loader
from ansible.executor.module_common import modify_module
from ansible.module_utils.json_utils import _filter_non_json_lines
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

_templar = None

def resolve(name):
    collections = None if '.' in name else ['ansible.legacy']
    ctx = module_loader.find_plugin_with_context(name, collection_list=collections)
    if not ctx.resolved:
        return {'found': False}
    fqcn = ctx.resolved_fqcn or name
    answer = {'found': True, 'fqcn': fqcn, 'path': ctx.plugin_resolved_path}
    act = action_loader.find_plugin_with_context(fqcn, collection_list=None)
    if act.resolved and (act.resolved_fqcn or '') not in ('ansible.builtin.normal', 'ansible.legacy.normal'):
        answer['action'] = act.resolved_fqcn
    return answer

def build(req):
    global _templar
    if _templar is None:
        _templar = Templar(loader=DataLoader())
    found = resolve(req['fqcn'])
    if not found['found']:
        return {'error': "module '%s' is no longer found by ansible-core" % req['fqcn']}
    args = dict(req['args'])
    args.update({
        '_ansible_check_mode': bool(req['check']),
        '_ansible_no_log': bool(req['no_log']),
        '_ansible_debug': C.DEFAULT_DEBUG,
        '_ansible_diff': bool(req['diff']),
        '_ansible_verbosity': int(req['verbosity']),
        '_ansible_version': __version__,
        '_ansible_module_name': req['name'],
        '_ansible_syslog_facility': req.get('syslog_facility') or C.DEFAULT_SYSLOG_FACILITY,
        '_ansible_selinux_special_fs': C.DEFAULT_SELINUX_SPECIAL_FS,
        '_ansible_string_conversion_action': C.STRING_CONVERSION_ACTION,
        '_ansible_socket': None,
        '_ansible_shell_executable': '/bin/sh',
        '_ansible_keep_remote_files': C.DEFAULT_KEEP_REMOTE_FILES,
        # pipelining: no remote tmp dir is made up front, modules make one under remote_tmp if they need it
        '_ansible_tmpdir': None,
        '_ansible_remote_tmp': req.get('remote_tmp') or '~/.ansible/tmp',
    })
    task_vars = {'ansible_python_interpreter': req['interpreter']}
    data, style, shebang = modify_module(req['name'], found['path'], args, _templar, task_vars=task_vars,
                                         module_compression=C.DEFAULT_MODULE_COMPRESSION)
    if style != 'new' or not data.startswith(b'#!'):
        return {'error': "module '%s' is a %s-style module; the fallback runs only Ansible's Python (AnsiballZ) modules" % (req['fqcn'], style)}
    return {'payload': data.decode('utf-8', 'surrogateescape'), 'shebang': shebang}

def parse(req):
    stdout, stderr, rc, interpreter = req['stdout'], req['stderr'], req['rc'], req['interpreter']
    warnings = []
    try:
        filtered, noise = _filter_non_json_lines(stdout, objects_only=True)
        warnings.extend(noise)
        data = json.loads(filtered)
        if not isinstance(data, dict):
            raise ValueError('not an object')
        data['_ansible_parsed'] = True
    except ValueError:
        data = {'failed': True, '_ansible_parsed': False, 'module_stdout': stdout, 'module_stderr': stderr}
        if stderr.startswith('Traceback'):
            data['exception'] = stderr
        elif stdout.startswith('Traceback'):
            data['exception'] = stdout
        data['msg'] = 'MODULE FAILURE'
        missing = re.compile('%s: (?:No such file or directory|not found)' % re.escape(interpreter))
        if missing.search(stderr) or missing.search(stdout):
            data['msg'] = 'The module failed to execute correctly, you probably need to set the interpreter.'
        data['msg'] += '\nSee stdout/stderr for the exact error'
        data['rc'] = rc
    # what remove_internal_keys does, with its warnings returned instead of printed
    for key in list(data.keys()):
        if (key.startswith('_ansible_') and key != '_ansible_parsed') or key in C.INTERNAL_RESULT_KEYS:
            warnings.append('Removed unexpected internal key in module return: %s = %s' % (key, data[key]))
            del data[key]
    for key in ('warnings', 'deprecations'):
        if key in data and not data[key]:
            del data[key]
    facts = data.get('ansible_facts')
    if isinstance(facts, dict):
        for key in list(facts.keys()):
            if key.startswith('discovered_interpreter_') or key.startswith('ansible_discovered_interpreter_'):
                del facts[key]
    results = data.get('results')
    if results is not None and (not isinstance(results, list) or isinstance(results, str)):
        data['ansible_module_results'] = data.pop('results')
        warnings.append("Found internal 'results' key in module return, renamed to 'ansible_module_results'.")
    if 'stdout' in data and 'stdout_lines' not in data:
        data['stdout_lines'] = (data.get('stdout') or '').splitlines()
    if 'stderr' in data and 'stderr_lines' not in data:
        data['stderr_lines'] = (data.get('stderr') or '').splitlines()
    return {'result': data, 'warnings': warnings}

def answer(line):
    req = {}
    try:
        req = json.loads(line)
        op = req.get('op')
        if op == 'build':
            out = build(req)
        elif op == 'parse':
            out = parse(req)
        elif op == 'resolve':
            out = resolve(req['name'])
        else:
            out = {'error': 'unknown op %r' % op}
    except Exception as e:
        out = {'error': '%s: %s' % (type(e).__name__, e)}
    out['id'] = req.get('id') if isinstance(req, dict) else None
    return out

if len(sys.argv) > 1 and sys.argv[1] == 'resolve':
    for name in sys.argv[2:]:
        try:
            out = resolve(name)
        except Exception as e:
            out = {'found': False, 'error': '%s: %s' % (type(e).__name__, e)}
        _real_stdout.write(json.dumps(out) + '\n')
    _real_stdout.flush()
    sys.exit(0)

_real_stdout.write(json.dumps({'ready': True, 'version': __version__}) + '\n')
_real_stdout.flush()
for line in sys.stdin:
    if not line.strip():
        continue
    _real_stdout.write(json.dumps(answer(line)) + '\n')
    _real_stdout.flush()
`;
