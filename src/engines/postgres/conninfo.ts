// libpq conninfo strings (pure): parse `key=value` pairs (values bare or in single quotes with \ and
// ' escaped), render them back, and repoint one at another primary. A switchover's repoint changes
// only the address and keeps everything else a standby's bootstrap put there (user, passfile, …).
export type Conninfo = Array<[string, string]>;

export function parseConninfo(s: string): Conninfo {
  const out: Conninfo = [];
  let i = 0;
  const skipSpace = () => { while (i < s.length && /\s/.test(s[i] ?? '')) i++; };
  for (;;) {
    skipSpace();
    if (i >= s.length) return out;
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`conninfo: "${s.slice(i)}" has no "="`);
    const key = s.slice(i, eq).trim();
    if (!/^[a-z_]+$/.test(key)) throw new Error(`conninfo: "${key}" is not a keyword`);
    i = eq + 1;
    skipSpace();
    let value = '';
    if (s[i] === "'") {
      i++;
      for (;;) {
        if (i >= s.length) throw new Error(`conninfo: unterminated quoted value of ${key}`);
        const c = s[i] ?? '';
        if (c === '\\') { value += s[i + 1] ?? ''; i += 2; continue; }
        if (c === "'") { i++; break; }
        value += c;
        i++;
      }
    } else {
      while (i < s.length && !/\s/.test(s[i] ?? '')) {
        if (s[i] === '\\') { value += s[i + 1] ?? ''; i += 2; continue; }
        value += s[i];
        i++;
      }
    }
    out.push([key, value]);
  }
}

const quote = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function renderConninfo(c: Conninfo): string {
  return c.map(([k, v]) => `${k}=${quote(v)}`).join(' ');
}

/**
 * The same conninfo pointing at the new primary's address: hostaddr replaced when there is one (no
 * cluster DNS: the address was resolved when the standby started). Without hostaddr the host name
 * (the primary Service) already follows the role, so nothing changes.
 */
export function repointConninfo(conninfo: string, hostaddr: string): { conninfo: string; changed: boolean } {
  const c = parseConninfo(conninfo);
  const at = c.findIndex(([k]) => k === 'hostaddr');
  if (at < 0 || c[at]?.[1] === hostaddr) return { conninfo, changed: false };
  c[at] = ['hostaddr', hostaddr];
  return { conninfo: renderConninfo(c), changed: true };
}
