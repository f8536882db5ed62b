import t from 'tap';
import { parseTemplate, renderTemplate, TemplateSyntaxError, templateVariables, UndefinedVariableError } from '../../../agent/kickstart/template';

const SHELL = [
  '%post --log=/root/ks-post.log',
  'HOST=$(hostname); echo "${HOST:-none}" $HOME ${PATH}',
  'rpm -q kernel-%{version}',
  'awk \'{ print $1 }\' /etc/hosts',
  '%end',
  '',
].join('\n');

t.test('placeholders are replaced; shell and rpm syntax pass through untouched', async (t) => {
  const text = `url --url={{mirror}}\nnetwork --hostname={{ hostname }}\t# from {{  client_addr\t}}\n${SHELL}`;
  const out = renderTemplate(text, { mirror: 'http://m/f40', hostname: 'sut-1', client_addr: '192.0.2.7' });
  t.equal(out, `url --url=http://m/f40\nnetwork --hostname=sut-1\t# from 192.0.2.7\n${SHELL}`);
  t.equal(renderTemplate(SHELL, {}), SHELL, 'a kickstart without placeholders renders as itself');
});

t.test('{{{{ is a literal {{', async (t) => {
  t.equal(renderTemplate('a {{{{ x }} b {{x}}', { x: 'X' }), 'a {{ x }} b X');
  t.equal(renderTemplate('{{{{{{x}}', { x: '1' }), '{{1');
  t.same(parseTemplate('}} {'), [{ kind: 'text', text: '}} {' }], 'lone closers and braces are text');
});

t.test('values are inserted verbatim, never re-parsed', async (t) => {
  t.equal(renderTemplate('{{a}}', { a: '{{b}} $X' }), '{{b}} $X');
});

t.test('a stray {{ is a syntax error with its position', async (t) => {
  for (const [text, line, column] of [
    ['ok\nbad {{ two words }}', 2, 5],
    ['{{', 1, 1],
    ['x {{1abc}}', 1, 3],
    ['a\nb\n  {{ name', 3, 3],
    ['{{ name }', 1, 1],
  ] as const) {
    try {
      parseTemplate(text);
      t.fail(`no error for ${JSON.stringify(text)}`);
    } catch (e) {
      t.ok(e instanceof TemplateSyntaxError, JSON.stringify(text));
      t.same([(e as TemplateSyntaxError).line, (e as TemplateSyntaxError).column], [line, column]);
      t.match((e as Error).message, /\{\{\{\{ for a literal/);
    }
  }
});

t.test('undefined variables are an error listing every one of them', async (t) => {
  try {
    renderTemplate('{{a}} {{b}} {{a}} {{c}} {{toString}} {{constructor}}', { b: 'x' });
    t.fail('rendered');
  } catch (e) {
    t.ok(e instanceof UndefinedVariableError);
    t.same((e as UndefinedVariableError).names, ['a', 'c', 'toString', 'constructor']);
    t.equal((e as UndefinedVariableError).message, 'undefined template variables: a, c, toString, constructor');
  }
  t.equal(renderTemplate('[{{e}}]', { e: '' }), '[]', 'an empty string is a value');
});

t.test('templateVariables names each variable once in order', async (t) => {
  t.same(templateVariables('{{b}}{{a}}{{b}}{{{{c}}'), ['b', 'a']);
});
