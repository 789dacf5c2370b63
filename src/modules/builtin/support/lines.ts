/** Python's str.splitlines, which Ansible uses for stdout_lines/stderr_lines. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const parts = text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  if (/(\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029])$/.test(text)) parts.pop();
  return parts;
}

/** Python's str.splitlines(True): the lines with their line endings */
export function splitLinesKeepEnds(text: string): string[] {
  return text.match(/[^\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]*(?:\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]|$)/g)?.filter((l) => l !== '') ?? [];
}
