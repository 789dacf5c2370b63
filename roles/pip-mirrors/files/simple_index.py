#!/usr/bin/env python3
"""Publish one platform directory of a pip mirror as a static simple index.

Run by the pip-mirrors role inside the platform's own container (any Python >= 3.6, standard
library only) when the play runs under ansible-playbook. tsplay runs the same steps in
TypeScript (src/mirror/publish.ts); both must leave byte-identical files, so every rule here
(ordering, escaping, JSON layout, directory names) has its twin there.

  stage   ROOT [--incoming DIR] [--prune] [--keep-previous N]
  commit  ROOT
  publish ROOT [--incoming DIR] [--prune] [--keep-previous N]   (stage, then commit)

Layout of ROOT (target/<platform>):
  *.whl, *.tar.gz ...        distributions
  <wheel>.metadata           PEP 658 core metadata
  simple -> .simple-<hex>    the live index (PEP 503 HTML, PEP 691 JSON in index.v1_json)
  .pip-mirrors/              incoming/, runs/NNNNNN.json, pending.json
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import zipfile
import zlib
import io

STATE_DIR = '.pip-mirrors'
LIVE_INDEX = 'simple'
INDEX_DIR_PREFIX = '.simple-'
PENDING = 'pending.json'
RUNS = 'runs'
HTML_API_VERSION = '1.0'
JSON_API_VERSION = '1.1'
JSON_INDEX_NAME = 'index.v1_json'
SDIST_SUFFIXES = ('.tar.gz', '.zip', '.tar.bz2', '.tar.xz', '.tgz')
UNRESERVED = frozenset('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~-')


class PublishError(Exception):
    pass


def normalize_project_name(name):
    return re.sub(r'[-_.]+', '-', name).lower()


def parse_dist_filename(filename):
    """(kind, project, version) for a wheel or sdist file name, else None."""
    if filename.startswith('.'):
        return None
    if filename.endswith('.whl'):
        parts = filename[:-4].split('-')
        if len(parts) not in (5, 6) or '' in parts:
            return None
        return ('wheel', normalize_project_name(parts[0]), parts[1])
    for suffix in SDIST_SUFFIXES:
        if not filename.endswith(suffix):
            continue
        stem = filename[:-len(suffix)]
        cut = stem.rfind('-')
        if cut <= 0 or cut == len(stem) - 1:
            return None
        return ('sdist', normalize_project_name(stem[:cut]), stem[cut + 1:])
    return None


def escape_html(text):
    return (text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
            .replace('"', '&quot;').replace("'", '&#x27;'))


def quote_url_component(text):
    # Own implementation: urllib's quote() changed its safe set between Python versions.
    out = []
    for ch in text:
        if ch in UNRESERVED:
            out.append(ch)
        else:
            out.extend('%%%02X' % byte for byte in ch.encode('utf-8'))
    return ''.join(out)


def dump_json(value):
    return json.dumps(value, ensure_ascii=False, separators=(',', ':'))


def file_url(entry):
    return '../../' + quote_url_component(entry['filename'])


def render_root_html(projects):
    lines = [
        '<!DOCTYPE html>',
        '<html>',
        '  <head>',
        '    <meta name="pypi:repository-version" content="%s">' % HTML_API_VERSION,
        '    <title>Simple index</title>',
        '  </head>',
        '  <body>',
    ]
    for project in projects:
        lines.append('    <a href="%s/">%s</a><br>' % (quote_url_component(project), escape_html(project)))
    lines.extend(['  </body>', '</html>', ''])
    return '\n'.join(lines)


def render_project_html(project, files):
    name = escape_html(project)
    lines = [
        '<!DOCTYPE html>',
        '<html>',
        '  <head>',
        '    <meta name="pypi:repository-version" content="%s">' % HTML_API_VERSION,
        '    <title>Links for %s</title>' % name,
        '  </head>',
        '  <body>',
        '    <h1>Links for %s</h1>' % name,
    ]
    for entry in files:
        attributes = 'href="%s"' % escape_html('%s#sha256=%s' % (file_url(entry), entry['sha256']))
        if entry.get('requires_python') is not None:
            attributes += ' data-requires-python="%s"' % escape_html(entry['requires_python'])
        if entry.get('metadata_sha256') is not None:
            value = 'sha256=' + entry['metadata_sha256']
            # PEP 714's name only: see render.ts for why the PEP 658 name is left out.
            attributes += ' data-core-metadata="%s"' % value
        lines.append('    <a %s>%s</a><br>' % (attributes, escape_html(entry['filename'])))
    lines.extend(['  </body>', '</html>', ''])
    return '\n'.join(lines)


def render_root_json(projects):
    return dump_json({
        'meta': {'api-version': JSON_API_VERSION},
        'projects': [{'name': name} for name in projects],
    }) + '\n'


def render_project_json(project, files):
    versions = []
    for entry in files:
        if entry['version'] not in versions:
            versions.append(entry['version'])
    versions.sort()
    described = []
    for entry in files:
        item = {
            'filename': entry['filename'],
            'url': file_url(entry),
            'hashes': {'sha256': entry['sha256']},
        }
        if entry.get('requires_python') is not None:
            item['requires-python'] = entry['requires_python']
        if entry.get('metadata_sha256') is not None:
            item['core-metadata'] = {'sha256': entry['metadata_sha256']}
        item['size'] = entry['size']
        described.append(item)
    return dump_json({
        'meta': {'api-version': JSON_API_VERSION},
        'name': project,
        'versions': versions,
        'files': described,
    }) + '\n'


def strip_ascii_space(text):
    return text.strip(' \t')


def requires_python_from_metadata(metadata):
    found = None
    in_target = False
    for line in re.split(r'\r\n|\n|\r', metadata):
        if line == '':
            break
        if line[0] in (' ', '\t'):
            if in_target and found is not None:
                found += ' ' + strip_ascii_space(line)
            continue
        in_target = False
        colon = line.find(':')
        if colon <= 0:
            continue
        if line[:colon].lower() == 'requires-python' and found is None:
            found = strip_ascii_space(line[colon + 1:])
            in_target = True
    if found is None:
        return None
    found = strip_ascii_space(found)
    return found or None


def render_index(entries):
    by_project = {}
    for entry in entries:
        by_project.setdefault(entry['project'], []).append(entry)
    projects = sorted(by_project)
    pages = {}
    pages['index.html'] = render_root_html(projects)
    pages[JSON_INDEX_NAME] = render_root_json(projects)
    for project in projects:
        files = sorted(by_project[project], key=lambda e: e['filename'])
        pages[project + '/index.html'] = render_project_html(project, files)
        pages[project + '/' + JSON_INDEX_NAME] = render_project_json(project, files)
    return pages


def index_digest(pages):
    digest = hashlib.sha256()
    for key in sorted(pages):
        digest.update(key.encode('utf-8'))
        digest.update(b'\0')
        digest.update(pages[key].encode('utf-8'))
        digest.update(b'\0')
    return digest.hexdigest()[:16]


def kind_of(path):
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return 'missing'
    import stat
    if stat.S_ISLNK(st.st_mode):
        return 'link'
    if stat.S_ISDIR(st.st_mode):
        return 'directory'
    if stat.S_ISREG(st.st_mode):
        return 'file'
    return 'other'


def dist_files_in(directory):
    found = []
    try:
        names = os.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return found
    for name in names:
        if kind_of(os.path.join(directory, name)) != 'file':
            continue
        parsed = parse_dist_filename(name)
        if parsed is not None:
            found.append((name,) + parsed)
    found.sort(key=lambda item: item[0])
    return found


def find_metadata_member(names, project, version):
    candidates = [n for n in names if re.match(r'^[^/]+\.dist-info/METADATA\Z', n)]
    for candidate in candidates:
        dir_name = candidate[:-len('.dist-info/METADATA')]
        cut = dir_name.rfind('-')
        if cut <= 0:
            continue
        if normalize_project_name(dir_name[:cut]) == project and dir_name[cut + 1:] == version:
            return candidate
    return candidates[0] if candidates else None


def describe(filename, kind, project, version, data):
    entry = {
        'filename': filename,
        'kind': kind,
        'project': project,
        'version': version,
        'sha256': hashlib.sha256(data).hexdigest(),
        'size': len(data),
    }
    if kind != 'wheel':
        return entry, None, None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            member = find_metadata_member(archive.namelist(), project, version)
            if member is None:
                return entry, None, '%s: no .dist-info/METADATA inside; indexed without metadata' % filename
            info = archive.getinfo(member)
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise PublishError('unsupported compression method %d' % info.compress_type)
            metadata = archive.read(member)
    except Exception as error:  # a broken wheel is reported, not fatal
        return entry, None, '%s: unreadable wheel (%s); indexed without metadata' % (filename, error)
    entry['metadata_sha256'] = hashlib.sha256(metadata).hexdigest()
    requires_python = requires_python_from_metadata(metadata.decode('utf-8', 'replace'))
    if requires_python is not None:
        entry['requires_python'] = requires_python
    return entry, metadata, None


def read_bytes(path):
    with open(path, 'rb') as handle:
        return handle.read()


def write_bytes(path, data):
    with open(path, 'wb') as handle:
        handle.write(data)
    os.chmod(path, 0o644)


def write_atomically(path, data):
    temp = path + '.tmp'
    write_bytes(temp, data)
    os.replace(temp, path)


def remove_path(path):
    kind = kind_of(path)
    if kind == 'directory':
        shutil.rmtree(path)
    elif kind != 'missing':
        os.unlink(path)


def makedirs(path):
    os.makedirs(path, mode=0o755, exist_ok=True)


def read_manifests(root):
    runs_dir = os.path.join(root, STATE_DIR, RUNS)
    try:
        names = os.listdir(runs_dir)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(n for n in names
                  if re.match(r'^[0-9]{6}\.json\Z', n) and kind_of(os.path.join(runs_dir, n)) == 'file')


def manifest_files(path):
    parsed = json.loads(read_bytes(path).decode('utf-8'))
    if not isinstance(parsed.get('files'), list):
        raise PublishError('%s: no "files" list' % path)
    return [str(name) for name in parsed['files']]


def same_as_last_manifest(root, manifest):
    runs = read_manifests(root)
    if not runs:
        return False
    return manifest_files(os.path.join(root, STATE_DIR, RUNS, runs[-1])) == manifest


def read_live_link(root):
    try:
        return os.readlink(os.path.join(root, LIVE_INDEX))
    except OSError:
        return None


def stage(root, incoming=None, prune=False, keep_previous=0):
    if keep_previous < 0:
        raise PublishError('keep_previous must be a whole number >= 0, got %d' % keep_previous)
    if prune and incoming is None:
        raise PublishError('prune needs the incoming directory of this run '
                           '(the files the current package list resolved to)')
    if kind_of(root) != 'directory':
        raise PublishError('%s: not a directory' % root)
    state_dir = os.path.join(root, STATE_DIR)
    makedirs(state_dir)
    warnings = []
    added = []
    manifest = None

    if incoming is not None:
        manifest = []
        for name, _kind, _project, _version in dist_files_in(incoming):
            manifest.append(name)
            if kind_of(os.path.join(root, name)) == 'missing':
                os.rename(os.path.join(incoming, name), os.path.join(root, name))
                added.append(name)
        remove_path(incoming)

    present = dist_files_in(root)
    if prune:
        keep = set(manifest or [])
        runs = read_manifests(root)
        if manifest is not None and same_as_last_manifest(root, manifest):
            runs = runs[:-1]
        previous = [] if keep_previous == 0 else runs[max(0, len(runs) - keep_previous):]
        for run in previous:
            keep.update(manifest_files(os.path.join(state_dir, RUNS, run)))
    else:
        keep = set(item[0] for item in present)
    indexed = [item for item in present if item[0] in keep]
    remove = []
    for item in present:
        if item[0] in keep:
            continue
        remove.append(item[0])
        if kind_of(os.path.join(root, item[0] + '.metadata')) == 'file':
            remove.append(item[0] + '.metadata')

    entries = []
    for name, kind, project, version in indexed:
        entry, metadata, warning = describe(name, kind, project, version, read_bytes(os.path.join(root, name)))
        if warning:
            warnings.append(warning)
        if metadata is not None:
            metadata_path = os.path.join(root, name + '.metadata')
            existing = read_bytes(metadata_path) if kind_of(metadata_path) == 'file' else None
            if existing != metadata:
                write_atomically(metadata_path, metadata)
        entries.append(entry)

    pages = render_index(entries)
    index_name = INDEX_DIR_PREFIX + index_digest(pages)
    index_path = os.path.join(root, index_name)
    if kind_of(index_path) != 'directory':
        temp = os.path.join(state_dir, 'tmp-index')
        remove_path(temp)
        makedirs(temp)
        for page, content in pages.items():
            page_dir = os.path.dirname(page)
            if page_dir:
                makedirs(os.path.join(temp, page_dir))
            write_bytes(os.path.join(temp, page), content.encode('utf-8'))
        os.rename(temp, index_path)

    pending = {'index': index_name, 'remove': remove, 'manifest': manifest, 'keep_previous': keep_previous}
    write_atomically(os.path.join(state_dir, PENDING), (dump_json(pending) + '\n').encode('utf-8'))
    live = read_live_link(root)
    manifest_is_new = manifest is not None and not same_as_last_manifest(root, manifest)
    return {
        'changed': live != index_name or bool(remove) or bool(added) or manifest_is_new,
        'index': index_name,
        'projects': len(set(item[2] for item in indexed)),
        'files': len(indexed),
        'added': added,
        'remove': remove,
        'warnings': warnings,
    }


def commit(root):
    state_dir = os.path.join(root, STATE_DIR)
    pending_path = os.path.join(state_dir, PENDING)
    live = read_live_link(root)
    if kind_of(pending_path) != 'file':
        return {'changed': False, 'index': live or '', 'removed': [],
                'warnings': ['%s: nothing staged to commit' % root]}
    pending = json.loads(read_bytes(pending_path).decode('utf-8'))
    index_name = pending.get('index')
    if not isinstance(index_name, str) or not index_name.startswith(INDEX_DIR_PREFIX) or '/' in index_name:
        raise PublishError('%s: bad index name' % pending_path)
    if kind_of(os.path.join(root, index_name)) != 'directory':
        raise PublishError('%s/%s: staged index is missing; stage again' % (root, index_name))
    changed = False
    live_path = os.path.join(root, LIVE_INDEX)
    live_kind = kind_of(live_path)
    if live_kind not in ('link', 'missing'):
        remove_path(os.path.join(state_dir, 'old-simple'))
        os.rename(live_path, os.path.join(state_dir, 'old-simple'))
    if live != index_name:
        temp_link = os.path.join(root, LIVE_INDEX + '.tmp-link')
        remove_path(temp_link)
        os.symlink(index_name, temp_link)
        os.replace(temp_link, live_path)
        changed = True
    for name in pending['remove']:
        if '/' in name or name.startswith('.'):
            continue
        remove_path(os.path.join(root, name))
        changed = True
    manifest = pending.get('manifest')
    if manifest is not None:
        runs_dir = os.path.join(state_dir, RUNS)
        if not same_as_last_manifest(root, manifest):
            makedirs(runs_dir)
            runs = read_manifests(root)
            next_number = 1 if not runs else int(runs[-1][:6]) + 1
            name = '%06d.json' % next_number
            write_atomically(os.path.join(runs_dir, name), (dump_json({'files': manifest}) + '\n').encode('utf-8'))
            changed = True
        runs = read_manifests(root)
        keep = int(pending.get('keep_previous', 0)) + 1
        for old in runs[:max(0, len(runs) - keep)]:
            remove_path(os.path.join(runs_dir, old))
    for name in os.listdir(root):
        if not name.startswith(INDEX_DIR_PREFIX) or kind_of(os.path.join(root, name)) != 'directory':
            continue
        if name in (index_name, live):
            continue
        remove_path(os.path.join(root, name))
    remove_path(pending_path)
    return {'changed': changed, 'index': index_name, 'removed': pending['remove'], 'warnings': []}


def report(action, root, result):
    for warning in result.get('warnings', []):
        sys.stderr.write('[WARNING] %s\n' % warning)
    summary = dict((k, v) for k, v in result.items() if k != 'warnings')
    sys.stdout.write('pip-mirrors %s %s: %s\n' % (action, root, dump_json(summary)))


def main(argv):
    parser = argparse.ArgumentParser(description='Publish a pip mirror platform directory as a static index.')
    parser.add_argument('action', choices=['stage', 'commit', 'publish'])
    parser.add_argument('root')
    parser.add_argument('--incoming')
    parser.add_argument('--prune', action='store_true')
    parser.add_argument('--keep-previous', type=int, default=0)
    args = parser.parse_args(argv)
    root = args.root.rstrip('/') or '/'
    try:
        if args.action in ('stage', 'publish'):
            result = stage(root, args.incoming, args.prune, args.keep_previous)
            report('stage', root, result)
        if args.action in ('commit', 'publish'):
            report('commit', root, commit(root))
    except (PublishError, OSError, ValueError) as error:
        sys.stderr.write('pip-mirrors %s %s failed: %s\n' % (args.action, root, error))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
