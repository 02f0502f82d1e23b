// The strict postgresql.conf parser and the escaping writer (pure), table-driven: what PostgreSQL's
// own lexer would read differently is refused with the line number; every value round-trips.
import assert from 'node:assert/strict';
import { ConfSyntaxError } from '../../src/engines/postgres/conf-syntax.ts';
import { parseConf, renderConf } from '../../src/engines/postgres/config.ts';
import { planUserConfig } from '../../src/engines/postgres/reconfigure.ts';
import { desiredParams } from '../../src/engines/postgres/render.ts';

describe('postgresql.conf parser (strict)', () => {
  const accepted: Array<[string, string, Record<string, string>]> = [
    ['name = number', 'max_connections = 100', { max_connections: '100' }],
    ['no spaces, no =', "work_mem=8MB\nshared_buffers 256MB", { work_mem: '8MB', shared_buffers: '256MB' }],
    ['quoted with a comment', "log_line_prefix = '%m [%p] ' # where", { log_line_prefix: '%m [%p] ' }],
    ['doubled quote inside', "application_name = 'it''s'", { application_name: "it's" }],
    ['backslash-escaped quote inside', "application_name = 'it\\'s'", { application_name: "it's" }],
    ['escaped backslash', "application_name = 'a\\\\b'", { application_name: 'a\\b' }],
    ['escapes \\n \\t and octal', "application_name = 'a\\tb\\101'", { application_name: 'a\tbA' }],
    ['a # inside quotes is not a comment', "application_name = 'a#b'", { application_name: 'a#b' }],
    ['empty quoted value', "search_path = ''", { search_path: '' }],
    ['names are case-insensitive; a later line wins', 'Work_Mem = 1MB\nwork_mem = 2MB', { work_mem: '2MB' }],
    ['extension parameter', 'pg_stat_statements.max = 5000', { 'pg_stat_statements.max': '5000' }],
    ['real, negative, hex, unquoted word', 'random_page_cost = 1.1\nlog_min_duration_statement = -1\nx.y = 0x1F\nwal_level = logical',
      { random_page_cost: '1.1', log_min_duration_statement: '-1', 'x.y': '0x1F', wal_level: 'logical' }],
    ['blank, comment-only and CRLF lines', '\n  # a comment\r\nwork_mem = 4MB\r\n', { work_mem: '4MB' }],
  ];
  for (const [name, text, want] of accepted) it(`accepts: ${name}`, () => assert.deepEqual(parseConf(text), want));

  const refused: Array<[string, string, number, RegExp]> = [
    ['trailing text after a quoted value (SQL injection shape)', "log_line_prefix = '%m'; select 1; --'", 1, /log_line_prefix: trailing text "; select 1; --'" after the value/],
    ['trailing text after an unquoted value', 'max_connections = 100 200', 1, /trailing text "200"/],
    ['an unterminated quote', "work_mem = 4MB\napplication_name = 'abc", 2, /unterminated quoted value "'abc"/],
    ['a backslash escaping the closing quote', "application_name = 'abc\\'", 1, /unterminated quoted value/],
    ['a dangling backslash', "application_name = 'abc\\", 1, /dangling backslash/],
    ['a bad name', 'max-connections = 10', 1, /"max-connections" is not a parameter name/],
    ['a name with two dots', 'a.b.c = 1', 1, /"a\.b\.c" is not a parameter name/],
    ['a name starting with a digit', '1abc = 1', 1, /is not a parameter name/],
    ['no value', 'max_connections =', 1, /"max_connections =" is not "name = value"/],
    ['an unquoted value with a space-free shell fragment', 'application_name = $(id)', 1, /must be quoted/],
    ['a quote starting a name', "'x' = 1", 1, /is not a parameter name/],
  ];
  for (const [name, text, line, why] of refused) {
    it(`refuses: ${name} (line ${line})`, () => {
      assert.throws(() => parseConf(text), (e: unknown) => e instanceof ConfSyntaxError && e.line === line && why.test(e.message) && e.message.startsWith(`line ${line}: `));
    });
  }

  const values = ["it's", 'a\\b', "'; select 1; --", 'tab\there', 'line\nbreak', '%m [%p] ', '', 'C:\\dir\\', "\\'"];
  for (const v of values) {
    it(`round-trips ${JSON.stringify(v)} through renderConf and parseConf`, () => {
      const text = renderConf({ application_name: v });
      assert.equal(text.split('\n').length, 2, 'one line per parameter');
      assert.deepEqual(parseConf(text), { application_name: v });
    });
  }
});

describe('the parser on every config path', () => {
  it('a Reconfigure names the field and line of the injection value', () => {
    const p = planUserConfig({ applyConfig: { 'user.conf': "work_mem = 4MB\nlog_line_prefix = '%m'; select 1; --'" }, restart: 'auto' }, {});
    assert.ok(!p.ok);
    assert.match(p.problems[0] ?? '', /^spec\.configuration\.applyConfig\["user\.conf"\]: line 2: log_line_prefix: trailing text/);
  });
  it("the database's configSecret names the Secret, key and line", () => {
    assert.throws(() => desiredParams({ 'user.conf': "application_name = 'x" }, 'pg-conf'), /^Error: spec\.configSecret \(Secret pg-conf, key user\.conf\): line 1: unterminated/);
  });
});
