import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shouldRunTags } from '../../src/execute/keywords.js';

test('no --tags runs everything but never-tagged tasks', () => {
  assert.equal(shouldRunTags([], [], []), true);
  assert.equal(shouldRunTags(['x'], [], []), true);
  assert.equal(shouldRunTags(['never'], [], []), false);
  assert.equal(shouldRunTags(['never', 'x'], ['x'], []), true);
});

test('always runs unless skipped explicitly; tagged/untagged select by presence of tags', () => {
  assert.equal(shouldRunTags(['always'], ['pip'], []), true);
  assert.equal(shouldRunTags(['always'], ['pip'], ['always']), false);
  assert.equal(shouldRunTags(['always'], [], ['all']), true);
  assert.equal(shouldRunTags([], ['untagged'], []), true);
  assert.equal(shouldRunTags(['a'], ['untagged'], []), false);
  assert.equal(shouldRunTags(['a'], ['tagged'], []), true);
  assert.equal(shouldRunTags([], ['tagged'], []), false);
});

test('skip wins over run', () => {
  assert.equal(shouldRunTags(['pip', 'docker'], ['pip'], ['docker']), false);
  assert.equal(shouldRunTags(['a'], ['all'], ['tagged']), false);
});
