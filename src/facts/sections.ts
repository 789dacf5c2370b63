/**
 * The fact script prints named sections, each introduced by a line `<marker> <name>`; these read
 * them back on the controller.
 */
export function sections(stdout: string, mark: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const chunk of stdout.split(`\n${mark} `).slice(1)) {
    const newline = chunk.indexOf('\n');
    const name = newline < 0 ? chunk : chunk.slice(0, newline);
    out.set(name, newline < 0 ? '' : chunk.slice(newline + 1));
  }
  return out;
}

/** KEY=value lines with shell-style quotes removed (os-release, lsb-release) */
export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    let value = match[2].trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    out[match[1]] = value.replace(/\\(["$`\\])/g, '$1');
  }
  return out;
}

/** the non-empty, trimmed lines of a section */
export function lines(text: string | undefined): string[] {
  return (text ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
}
