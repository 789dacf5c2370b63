/**
 * POSIX shell word splitting as Python's shlex.split does it (quotes, backslashes, comments off),
 * which is how docker_container turns a string `command` into Cmd.
 */
export function shlexSplit(input: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < input.length) {
    const ch = input[i];
    if (ch === "'") {
      const end = input.indexOf("'", i + 1);
      if (end < 0) throw new Error(`No closing quotation in ${JSON.stringify(input)}`);
      word += input.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      i++;
      inWord = true;
      let closed = false;
      while (i < input.length) {
        const c = input[i];
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        // inside double quotes Python's shlex lets a backslash escape only \ and "
        if (c === '\\' && i + 1 < input.length && (input[i + 1] === '\\' || input[i + 1] === '"')) {
          word += input[i + 1];
          i += 2;
          continue;
        }
        word += c;
        i++;
      }
      if (!closed) throw new Error(`No closing quotation in ${JSON.stringify(input)}`);
    } else if (ch === '\\') {
      if (i + 1 >= input.length) throw new Error(`No escaped character in ${JSON.stringify(input)}`);
      word += input[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else {
      word += ch;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
