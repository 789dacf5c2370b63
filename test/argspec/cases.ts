/**
 * The parity table: (spec, params) cases covering every spec key, type and coercion, valid and
 * invalid, nested options and lists of dicts. Expectations are NOT written here: they come from
 * running ansible-playbook (cached in ansible-verdicts.json by regenerate.ts).
 *
 * Values are JS values in the project's model (PyFloat for an integral float); they reach
 * Ansible as JSON inside YAML, so both sides see the same types.
 */
import { PyFloat } from '../../src/template/values.js';
import type { ParityCase } from './oracle.js';

type Spec = Record<string, unknown>;
type Params = Record<string, unknown>;

const cases: ParityCase[] = [];
function add(id: string, spec: Spec, params: Params = {}, extra: Partial<ParityCase> = {}): void {
  cases.push({ id, spec, params, ...extra });
}

// ---- str ---------------------------------------------------------------------------------------
add('str_ok', { a: { type: 'str' } }, { a: 'hello' });
add('str_default_type', { a: {} }, { a: 'x' });
add('str_from_int', { a: { type: 'str' }, b: { type: 'int' } }, { a: 5, b: 'nope' });
add('str_from_bool', { a: { type: 'str', choices: ['True'] } }, { a: true });
add('str_from_float', { a: { type: 'str', choices: ['x'] } }, { a: 1.5 });
add('str_from_pyfloat', { a: { type: 'str', choices: ['x'] } }, { a: new PyFloat(2) });
add('str_from_list', { a: { type: 'str', choices: ['x'] } }, { a: ['a', 1, true, null] });
add('str_from_dict', { a: { type: 'str', choices: ['x'] } }, { a: { k: 1, s: "it's" } });
add('str_null_not_required', { a: { type: 'str' } }, { a: null });
add('str_null_required', { a: { type: 'str', required: true } }, { a: null });
add('str_int_default', { a: { type: 'str', default: 5, choices: ['5'] } }, {});
add('str_unicode', { a: { type: 'str', choices: ['é'] } }, { a: 'ü' });
add('str_quote_repr', { a: { type: 'str', choices: ['x'] } }, { a: ["it's", 'say "hi"', 'both \' "'] });

// ---- list ----------------------------------------------------------------------------------------
add('list_ok', { a: { type: 'list' } }, { a: [1, 'b'] });
add('list_from_csv', { a: { type: 'list', elements: 'int' } }, { a: '1,2,x' });
add('list_from_csv_spaces', { a: { type: 'list', choices: ['a', 'b'] } }, { a: 'a, b' });
add('list_from_empty_string', { a: { type: 'list', elements: 'int' } }, { a: '' });
add('list_from_int', { a: { type: 'list', elements: 'bool' } }, { a: 5 });
add('list_from_bool', { a: { type: 'list', choices: ['x'] } }, { a: true });
add('list_from_float', { a: { type: 'list', choices: ['x'] } }, { a: 2.5 });
add('list_from_dict', { a: { type: 'list' } }, { a: { k: 'v' } });
add('list_elements_int_ok', { a: { type: 'list', elements: 'int' } }, { a: ['1', 2, ' 3 '] });
add('list_elements_int_bad', { a: { type: 'list', elements: 'int' } }, { a: ['x', 1, null, [1], 2.5] });
add('list_elements_str', { a: { type: 'list', elements: 'str', choices: ['1'] } }, { a: [1, 2] });
add('list_elements_bool', { a: { type: 'list', elements: 'bool' } }, { a: ['yes', 'off', 1, 'maybe'] });
add('list_elements_float', { a: { type: 'list', elements: 'float' } }, { a: ['1.5', 2, 'x'] });
add('list_elements_path', { a: { type: 'list', elements: 'path' } }, { a: ['/a', 3] });
add('list_elements_dict_str', { a: { type: 'list', elements: 'dict' } }, { a: ['k=v', 'junk', { x: 1 }] });
add('list_elements_raw', { a: { type: 'list', elements: 'raw' } }, { a: [null, 1, 'x'] });
add('list_elements_unknown_value_types', { a: { type: 'list', elements: 'bytes' } }, { a: ['1K', 'nope', true] });

// ---- dict ----------------------------------------------------------------------------------------
add('dict_ok', { a: { type: 'dict' } }, { a: { x: 1 } });
add('dict_from_kv', { a: { type: 'dict' }, b: { type: 'int' } }, { a: 'x=1 y=2', b: 'bad' });
add('dict_from_kv_quoted', { a: { type: 'dict', options: { x: { type: 'str' }, y: { type: 'int' } } } }, { a: 'x="a b" y=no' });
add('dict_from_kv_bad', { a: { type: 'dict' } }, { a: 'x=1, y' });
add('dict_from_json', { a: { type: 'dict', options: { x: { type: 'int' } } } }, { a: '{"x": "1"}' });
add('dict_from_python_literal', { a: { type: 'dict', options: { x: { type: 'int' } } } }, { a: "{'x': 'z'}" });
add('dict_from_bad_brace', { a: { type: 'dict' } }, { a: '{bad' });
add('dict_from_junk', { a: { type: 'dict' } }, { a: 'junk' });
add('dict_from_list', { a: { type: 'dict' } }, { a: [1] });
add('dict_from_int', { a: { type: 'dict' } }, { a: 5 });
add('dict_from_bool', { a: { type: 'dict' } }, { a: false });

// ---- bool ----------------------------------------------------------------------------------------
for (const [id, v] of [
  ['yes', 'yes'], ['no', 'no'], ['on', 'on'], ['off', 'off'], ['str_1', '1'], ['str_0', '0'], ['int_1', 1], ['int_0', 0],
  ['float_1', new PyFloat(1)], ['upper', 'TRUE'], ['padded', ' yes '], ['y', 'y'], ['t', 'T'], ['f', 'f'],
] as const) {
  add(`bool_ok_${id}`, { a: { type: 'bool', choices: [true] } }, { a: v });
}
add('bool_bad_int', { a: { type: 'bool' } }, { a: 2 });
add('bool_bad_float', { a: { type: 'bool' } }, { a: 0.5 });
add('bool_bad_str', { a: { type: 'bool' } }, { a: 'maybe' });
add('bool_bad_list', { a: { type: 'bool' } }, { a: ['yes'] });
add('bool_bad_dict', { a: { type: 'bool' } }, { a: { k: 1 } });
add('bool_null', { a: { type: 'bool' } }, { a: null });

// ---- int -----------------------------------------------------------------------------------------
add('int_from_str', { a: { type: 'int', choices: [5] } }, { a: '5' });
add('int_from_padded', { a: { type: 'int', choices: [5] } }, { a: ' 5 ' });
add('int_from_plus', { a: { type: 'int', choices: [5] } }, { a: '+5' });
add('int_from_underscore', { a: { type: 'int', choices: [1000] } }, { a: '1_000' });
add('int_from_negative', { a: { type: 'int', choices: [-3] } }, { a: '-3' });
add('int_bad_decimal_str', { a: { type: 'int' } }, { a: '5.0' });
add('int_bad_float', { a: { type: 'int' } }, { a: 5.5 });
add('int_bad_pyfloat', { a: { type: 'int' } }, { a: new PyFloat(5) });
add('int_from_bool', { a: { type: 'int', choices: [1] } }, { a: true });
add('int_bad_word', { a: { type: 'int' } }, { a: 'abc' });
add('int_bad_hex', { a: { type: 'int' } }, { a: '0x10' });
add('int_bad_list', { a: { type: 'int' } }, { a: [1] });
add('int_bad_dict', { a: { type: 'int' } }, { a: { n: 1 } });
add('int_big', { a: { type: 'int', choices: [1] } }, { a: '123456789012345678901234567890' });

// ---- float ---------------------------------------------------------------------------------------
add('float_from_str', { a: { type: 'float', choices: [1.5] } }, { a: '1.5' });
add('float_from_int', { a: { type: 'float', choices: [5] } }, { a: 5 });
add('float_from_bool', { a: { type: 'float', choices: [1] } }, { a: true });
add('float_from_padded', { a: { type: 'float', choices: [2.5] } }, { a: ' 2.5 ' });
add('float_from_exp', { a: { type: 'float', choices: [1000] } }, { a: '1e3' });
add('float_from_inf', { a: { type: 'float' } }, { a: 'inf' });
add('float_bad_word', { a: { type: 'float' } }, { a: 'abc' });
add('float_bad_list', { a: { type: 'float' } }, { a: [1.5] });
add('float_bad_dict', { a: { type: 'float' } }, { a: {} });
add('float_message_repr', { a: { type: 'float', choices: [0.1] } }, { a: '0.30000000000000004' });

// ---- path / raw / json -----------------------------------------------------------------------------
add('path_from_int', { a: { type: 'path', choices: ['x'] } }, { a: 42 });
add('path_plain', { a: { type: 'path', choices: ['/etc/x'] } }, { a: '/etc/x' });
add('path_list_bad', { a: { type: 'path', choices: ['x'] } }, { a: ['a'] });
add('raw_anything', { a: { type: 'raw' }, b: { type: 'raw' }, c: { type: 'raw' } }, { a: [1], b: { x: null }, c: null });
add('raw_choices', { a: { type: 'raw', choices: [1, 'two'] } }, { a: 'three' });
add('jsonarg_str', { a: { type: 'jsonarg', choices: ['{"a": 1}'] } }, { a: '  {"a": 1}  ' });
add('jsonarg_list', { a: { type: 'jsonarg', choices: ['x'] } }, { a: [1, 'b', null, true, 1.5] });
add('jsonarg_dict', { a: { type: 'jsonarg', choices: ['x'] } }, { a: { k: 'é', n: [1] } });
add('jsonarg_int', { a: { type: 'jsonarg' } }, { a: 5 });
add('jsonarg_bool', { a: { type: 'jsonarg' } }, { a: true });
add('json_alias_type', { a: { type: 'json', choices: ['x'] } }, { a: { k: 1 } });

// ---- bytes / bits ----------------------------------------------------------------------------------
for (const [id, v] of [
  ['k', '1K'], ['kb', '1KB'], ['m_dec', '1.5M'], ['plain', '10'], ['round_half', '2.5'], ['round_half_up', '3.5'], ['int', 5],
  ['space', '10 MB'], ['word', '1 kilobyte'], ['g', '2G'], ['trailing', '10M junk'], ['b', '7B'],
] as const) {
  add(`bytes_ok_${id}`, { a: { type: 'bytes', choices: [0] } }, { a: v });
}
add('bytes_bad_bits_unit', { a: { type: 'bytes' } }, { a: '1Kb' });
add('bytes_bad_word', { a: { type: 'bytes' } }, { a: 'lots' });
add('bytes_bad_negative', { a: { type: 'bytes' } }, { a: '-1K' });
add('bytes_bad_bool', { a: { type: 'bytes' } }, { a: true });
add('bytes_bad_unit', { a: { type: 'bytes' } }, { a: '5Q' });
add('bits_ok_mb', { a: { type: 'bits', choices: [0] } }, { a: '1Mb' });
add('bits_ok_k', { a: { type: 'bits', choices: [0] } }, { a: '1K' });
add('bits_ok_word', { a: { type: 'bits', choices: [0] } }, { a: '2 kilobits' });
add('bits_bad_bytes_unit', { a: { type: 'bits' } }, { a: '1MB' });

// ---- required / default ---------------------------------------------------------------------------
add('required_missing_one', { a: { required: true }, b: {} }, { b: 'x' });
add('required_missing_sorted', { zeta: { required: true }, alpha: { required: true }, mid: { required: true } }, {});
add('required_present_null', { a: { required: true, type: 'int' } }, { a: null });
add('required_with_default', { a: { required: true, default: 'x' } }, {});
add('required_with_default_and_unsupported', { a: { required: true, default: 'x' } }, { zzz: 1 });
add('required_and_type_errors_order', { a: { required: true }, b: { type: 'int' }, c: { choices: ['x'] } }, { b: 'no', c: 'y' });
add('default_applied_and_checked', { a: { type: 'int', default: 'abc' } }, {});
add('default_not_in_choices', { a: { choices: ['x', 'y'], default: 'z' } }, {});
add('default_list_csv', { a: { type: 'list', elements: 'int', default: '1,b' } }, {});
add('default_null', { a: { type: 'int', default: null, choices: [1] } }, {});
add('default_overridden', { a: { type: 'int', default: 'abc' } }, { a: 3 });
add('default_bool_word', { a: { type: 'bool', default: 'nope' } }, {});

// ---- choices ---------------------------------------------------------------------------------------
add('choices_ok', { a: { choices: ['x', 'y'] } }, { a: 'y' });
add('choices_bad', { a: { choices: ['x', 'y'] } }, { a: 'z' });
add('choices_int_vs_str', { a: { type: 'raw', choices: [1, 2] } }, { a: '1' });
add('choices_int_coerced', { a: { type: 'int', choices: [1, 2] } }, { a: '2' });
add('choices_bool_to_yes', { a: { choices: ['yes', 'no'] } }, { a: true });
add('choices_bool_to_no', { a: { choices: ['yes', 'no'] } }, { a: false });
add('choices_bool_ambiguous', { a: { choices: ['yes', 'on', 'no'] } }, { a: true });
add('choices_true_equals_one', { a: { type: 'raw', choices: [1, 'x'] } }, { a: true });
add('choices_float_equals_int', { a: { type: 'raw', choices: [1] } }, { a: new PyFloat(1) });
add('choices_explicit_null', { a: { choices: ['x'] } }, { a: null });
add('choices_list_ok', { a: { type: 'list', choices: ['x', 'y'] } }, { a: ['x', 'y', 'x'] });
add('choices_list_bad', { a: { type: 'list', choices: ['x', 'y'] } }, { a: 'x,z,w' });
add('choices_list_elements', { a: { type: 'list', elements: 'str', choices: ['a', 'b'] } }, { a: ['a', 'c'] });
add('choices_not_a_list', { a: { choices: 'xy' } }, { a: 'x' }, { malformed: true });
add('choices_mixed_message', { a: { type: 'raw', choices: [1, 'two', true, null, 1.5] } }, { a: 'three' });

// ---- aliases ---------------------------------------------------------------------------------------
add('alias_used', { name_of: { aliases: ['n'], required: true, type: 'int' } }, { n: 'x' });
add('alias_and_canonical', { a: { aliases: ['b'], type: 'int' } }, { a: 1, b: 'bad' });
add('alias_two_aliases_last_wins', { a: { aliases: ['b', 'c'], type: 'int' } }, { b: 1, c: 'bad' });
add('alias_unsupported_lists_aliases', { a: { aliases: ['b', 'aa'] }, c: { aliases: ['d'] } }, { zz: 1, yy: 2 });
add('alias_not_from_vars', { a: { aliases: ['b'], required: true } }, {}, { vars: { b: 'x' } });
add('alias_nested', { d: { type: 'dict', options: { x: { aliases: ['y'], type: 'int' } } } }, { d: { y: 'bad' } });
add('alias_deprecated', { a: { aliases: ['old'], deprecated_aliases: [{ name: 'old', version: '2.0' }] } }, { old: 'v' });
add('alias_required_satisfied', { a: { aliases: ['b'], required: true } }, { b: null });

// ---- no_log --------------------------------------------------------------------------------------
add('nolog_value_in_message', { pw: { no_log: true, choices: ['a', 'b'] } }, { pw: 'supersecret' });
add('nolog_ok', { pw: { no_log: true } }, { pw: 'secret' });
add('nolog_nested', { d: { type: 'dict', options: { pw: { no_log: true, type: 'int' } } } }, { d: { pw: 'secret' } });

// ---- elements with other types ------------------------------------------------------------------
add('elements_on_str', { a: { type: 'str', elements: 'int' } }, { a: 'abc' }, { malformed: true });

// ---- nested options: dict ---------------------------------------------------------------------------
const server = { type: 'dict', options: { host: { type: 'str', required: true }, port: { type: 'int', default: 80 } } };
add('nested_dict_ok', { server }, { server: { host: 'h', port: '8080' } });
add('nested_dict_required_missing', { server }, { server: { port: 1 } });
add('nested_dict_type_error', { server }, { server: { host: 'h', port: 'http' } });
add('nested_dict_unsupported', { server }, { server: { host: 'h', proto: 'tcp' } });
add('nested_dict_bad_default', { d: { type: 'dict', options: { n: { type: 'int', default: 'x' } } } }, { d: {} });
add('nested_dict_absent', { server }, {});
add('nested_dict_null', { server }, { server: null });
add('nested_dict_from_kv', { server }, { server: 'host=a port=b' });
add('nested_dict_from_junk', { server }, { server: 'junk' });
add('nested_dict_list_value', { server }, { server: [{ host: 'a' }, 'x'] });
add('nested_dict_int_value', { server }, { server: 5 });
add('nested_choices', { d: { type: 'dict', options: { mode: { choices: ['a', 'b'] } } } }, { d: { mode: 'c' } });
add('nested_list_choices', { d: { type: 'dict', options: { modes: { type: 'list', choices: ['a', 'b'] } } } }, { d: { modes: ['a', 'q'] } });
add('nested_elements_error', { d: { type: 'dict', options: { ports: { type: 'list', elements: 'int' } } } }, { d: { ports: ['1', 'x'] } });
const deep = {
  type: 'dict',
  options: { second: { type: 'dict', options: { third: { type: 'int', required: true } } } },
};
add('nested_three_levels_missing', { multi: deep }, { multi: { second: { other: 1 } } });
add('nested_three_levels_type', { multi: deep }, { multi: { second: { third: 'x' } } });
add('nested_three_levels_ok', { multi: deep }, { multi: { second: { third: '3' } } });
add('nested_unsupported_two_levels', { multi: deep, top: {} }, { multi: { second: { third: 1, bad: 2 } }, wrong: 1 });

// ---- nested options: list of dicts ------------------------------------------------------------------
const platforms = {
  type: 'list',
  elements: 'dict',
  required: true,
  options: {
    image: { type: 'str', required: true },
    'pre-command': { type: 'str' },
    name: { type: 'str' },
    count: { type: 'int', default: 1 },
  },
};
add('listdict_ok', { target: { type: 'str', required: true }, platforms }, { target: '/srv', platforms: [{ image: 'debian:12' }, { image: 'alpine', count: '2' }] });
add('listdict_missing_required_item', { target: { type: 'str', required: true }, platforms }, { target: '/srv', platforms: [{ image: 'a' }, { name: 'x' }] });
add('listdict_missing_top', { target: { type: 'str', required: true }, platforms }, {});
add('listdict_item_type_error', { platforms }, { platforms: [{ image: 'a', count: 'many' }, { image: 'b', count: 'few' }] });
add('listdict_item_not_dict', { platforms }, { platforms: ['debian'] });
add('listdict_item_kv_string', { platforms }, { platforms: ['image=debian count=x'] });
add('listdict_item_int', { platforms }, { platforms: [{ image: 'a' }, 3] });
add('listdict_unsupported_in_items', { platforms }, { platforms: [{ image: 'a', extra: 1 }, { image: 'b', extra: 2, more: 3 }] });
add('listdict_single_dict', { platforms }, { platforms: { image: 'a' } });
add('listdict_csv_string', { platforms }, { platforms: 'a,b' });
add('listdict_empty', { platforms }, { platforms: [] });
add('listdict_nested_list', {
  groups: { type: 'list', elements: 'dict', options: { members: { type: 'list', elements: 'dict', options: { uid: { type: 'int', required: true } } } } },
}, { groups: [{ members: [{ uid: '1' }, { uid: 'x' }, {}] }] });

// ---- apply_defaults -------------------------------------------------------------------------------
const withDefaults = { type: 'dict', apply_defaults: true, options: { n: { type: 'int', default: 'bad' }, s: { required: true } } };
add('apply_defaults_absent', { d: withDefaults }, {});
add('apply_defaults_null', { d: withDefaults }, { d: null });
add('apply_defaults_false_absent', { d: { ...withDefaults, apply_defaults: false } }, {});
add('apply_defaults_list', { l: { type: 'list', elements: 'dict', apply_defaults: true, options: { s: { required: true } } } }, {});

// ---- constraints inside options ----------------------------------------------------------------------
function holder(extra: Spec): Spec {
  return { d: { type: 'dict', options: { a: {}, b: {}, c: {}, e: { default: 'x' } }, ...extra } };
}
add('mutex_violated', holder({ mutually_exclusive: [['a', 'b']] }), { d: { a: 1, b: 2 } });
add('mutex_two_groups', holder({ mutually_exclusive: [['a', 'b'], ['b', 'c'], ['a', 'e']] }), { d: { a: 1, b: 2, c: 3 } });
add('mutex_with_default_not_counted', holder({ mutually_exclusive: [['a', 'e']] }), { d: { a: 1 } });
add('mutex_null_counts', holder({ mutually_exclusive: [['a', 'b']] }), { d: { a: null, b: 1 } });
add('mutex_ok', holder({ mutually_exclusive: [['a', 'b']] }), { d: { a: 1 } });
add('together_violated', holder({ required_together: [['a', 'b']] }), { d: { a: 1 } });
add('together_first_group_only', holder({ required_together: [['a', 'b'], ['c', 'a']] }), { d: { a: 1 } });
add('together_default_counts', holder({ required_together: [['e', 'c']] }), { d: {} });
add('together_ok', holder({ required_together: [['a', 'b']] }), { d: { c: 1 } });
add('one_of_violated', holder({ required_one_of: [['a', 'b']] }), { d: { c: 1 } });
add('one_of_first_only', holder({ required_one_of: [['a', 'b'], ['c']] }), { d: {} });
add('one_of_null_counts', holder({ required_one_of: [['a', 'b']] }), { d: { a: null } });
add('if_all_missing', holder({ required_if: [['a', 'on', ['b', 'c']]] }), { d: { a: 'on', b: 1 } });
add('if_any_mode_missing', holder({ required_if: [['a', 'on', ['b', 'c'], true]] }), { d: { a: 'on' } });
add('if_any_mode_satisfied', holder({ required_if: [['a', 'on', ['b', 'c'], true]] }), { d: { a: 'on', c: 1 } });
add('if_not_triggered', holder({ required_if: [['a', 'on', ['b']]] }), { d: { a: 'off' } });
add('if_int_trigger_coerced', {
  d: { type: 'dict', options: { n: { type: 'int' }, m: {} }, required_if: [['n', 1, ['m']]] },
}, { d: { n: '1' } });
add('if_bool_value_message', {
  d: { type: 'dict', options: { on_: { type: 'bool' }, m: {} }, required_if: [['on_', true, ['m']]] },
}, { d: { on_: 'yes' } });
add('by_violated', holder({ required_by: { a: ['b', 'c'] } }), { d: { a: 1, c: 1 } });
add('by_string_value', holder({ required_by: { a: 'b' } }), { d: { a: 1 } });
add('by_null_key_ignored', holder({ required_by: { a: 'b' } }), { d: { a: null } });
add('by_null_requirement_missing', holder({ required_by: { a: 'b' } }), { d: { a: 1, b: null } });
add('constraints_all_together', holder({
  mutually_exclusive: [['a', 'c']],
  required_together: [['a', 'b']],
  required_one_of: [['b', 'c']],
  required_if: [['a', 1, ['c']]],
  required_by: { a: 'b' },
}), { d: { a: 1, c: 2 } });
add('constraints_in_list_items', {
  l: { type: 'list', elements: 'dict', options: { a: {}, b: {} }, required_one_of: [['a', 'b']] },
}, { l: [{ a: 1 }, {}, {}] });
add('entry_level_constraints_ignored', {}, {}, {
  entry: { options: { a: {}, b: {} }, mutually_exclusive: [['a', 'b']], required_one_of: [['a', 'b']] },
  params: { a: 1, b: 2 },
});

// ---- unsupported -------------------------------------------------------------------------------------
add('unsupported_one', { a: {} }, { b: 1 });
add('unsupported_sorted', { a: {}, m: {} }, { zz: 1, bb: 2, Aa: 3 });
add('unsupported_with_errors', { a: { type: 'int', required: true } }, { a: 'x', junk: 1 });
add('unsupported_empty_spec', {}, { foo: 1 });
add('entry_without_options', {}, {}, { entry: { short_description: 'nothing' }, params: { foo: 1 } });
add('entry_without_options_no_params', {}, {}, { entry: { short_description: 'nothing' } });

// ---- variables visible to the role --------------------------------------------------------------------
add('vars_picked_up', { a: { type: 'int', required: true } }, {}, { vars: { a: 'x' } });
add('vars_ok', { a: { type: 'int', required: true } }, {}, { vars: { a: 3 } });
add('vars_overridden_by_params', { a: { type: 'int' } }, { a: 'bad' }, { vars: { a: 1 } });
add('params_override_bad_var', { a: { type: 'int' } }, { a: 1 }, { vars: { a: 'bad' } });
add('vars_unrelated_ignored', { a: {} }, {}, { vars: { zzz: 1, a: 'x' } });
add('vars_nested_dict', { server }, {}, { vars: { server: { port: 'x' } } });
add('vars_null_required', { a: { required: true } }, {}, { vars: { a: null } });

// ---- odd but real -----------------------------------------------------------------------------------
add('crash_dict_option_int', { d: { type: 'dict', options: { x: {} } } }, { d: 7 });
add('crash_list_choices_int', { a: { type: 'list', elements: 'int', choices: [1, 2] } }, { a: [1, 3] });
add('crash_kv_in_nolog_prepass', { d: { type: 'dict', options: { x: {} } } }, { d: 'x=1 y' });
add('unknown_type_name', { a: { type: 'string' } }, { a: 'x' }, { malformed: true });
add('options_on_str_ignored', { a: { type: 'str', options: { x: { required: true } } } }, { a: 'v' });
add('many_errors_ordering', {
  s: { type: 'str', choices: ['a'] },
  i: { type: 'int' },
  l: { type: 'list', elements: 'int' },
  d: { type: 'dict', options: { x: { type: 'int' }, y: { required: true } } },
  ld: { type: 'list', elements: 'dict', options: { z: { type: 'bool' } } },
  r: { required: true },
}, { s: 'b', i: 'x', l: 'a,1', d: { x: 'q', w: 1 }, ld: [{ z: 'maybe' }, 'str'], extra: 1 });

export const parityCases: readonly ParityCase[] = cases;

/** module-only cases: entry-level constraints apply to modules (AnsibleModule's keyword arguments) */
function moduleCase(id: string, entry: Record<string, unknown>, params: Params): ParityCase {
  return { id: `module_${id}`, entry, params };
}
const abc = { a: {}, b: {}, c: { type: 'int' } };
export const moduleOnlyCases: readonly ParityCase[] = [
  moduleCase('mutex', { options: abc, mutually_exclusive: [['a', 'b'], ['b', 'c']] }, { a: 1, b: 2, c: 3 }),
  moduleCase('together', { options: abc, required_together: [['a', 'c']] }, { a: 1 }),
  moduleCase('one_of', { options: abc, required_one_of: [['a', 'b']] }, { c: 1 }),
  moduleCase('required_if', { options: abc, required_if: [['c', 3, ['a', 'b'], true]] }, { c: '3' }),
  moduleCase('required_by', { options: abc, required_by: { a: ['b', 'c'] } }, { a: 'x' }),
  moduleCase('defaults_and_none', { options: { a: { default: 5, type: 'str' }, b: { type: 'list' }, d: { type: 'dict', apply_defaults: true, options: { x: { default: 1 } } } } }, {}),
  moduleCase('unsupported_only', { options: abc }, { zz: 1 }),
  moduleCase('first_error_only', { options: { a: { required: true }, b: { type: 'int' } } }, { b: 'x', zz: 1 }),
  moduleCase('alias_both_set_warning', { options: { a: { aliases: ['b'] } } }, { a: 1, b: 2 }),
  moduleCase('deprecated_alias', { options: { a: { aliases: ['old'], deprecated_aliases: [{ name: 'old', version: '9.0' }] } } }, { old: 'v' }),
  moduleCase('nested_alias_warning', { options: { d: { type: 'dict', options: { a: { aliases: ['b'] } } } } }, { d: { a: 1, b: 2 } }),
];

/** a spread-out sample that the live test re-runs through Ansible (keeps it under a minute) */
export function liveSample(size = 30): ParityCase[] {
  const step = Math.max(1, Math.floor(cases.length / size));
  return cases.filter((_, i) => i % step === 0).slice(0, size);
}
