import t from 'tap';
import { AgentError } from '../../../agent/errors';
import { charToChord, keyNames, type KeyChord, parseCombo, splitCombo } from '../../../agent/hid/keymap';
import { keyboardReport } from '../../../agent/hid/reports';
import { COMBO_PRESS_REPORTS, INVALID_COMBOS, KEY_PRESS_REPORTS } from '../../fixtures/hid-expectations';

/** The chord, or a placeholder no expectation matches (so the assertion that uses it fails). */
function chordOrFail(text: string): KeyChord {
  const chord = parseCombo(text);
  if (chord instanceof AgentError) return { modifiers: 0xff, keys: [0xff], modifierOrder: [] };
  return chord;
}

const pressReport = (chord: KeyChord) => [...keyboardReport(chord.modifiers, chord.keys)];

t.test('every key name in the expectation table gives its exact press report', async (t) => {
  for (const [name, report] of KEY_PRESS_REPORTS) {
    t.same(pressReport(chordOrFail(name)), report, `key ${JSON.stringify(name)}`);
  }
});

t.test('the table and the keymap list the same names', async (t) => {
  const tableNames = new Set(KEY_PRESS_REPORTS.map(([n]) => n));
  t.equal(tableNames.size, KEY_PRESS_REPORTS.length, 'no duplicate rows');
  const mapNames = new Set(keyNames());
  t.same([...mapNames].filter((n) => !tableNames.has(n)), [], 'every keymap name has an expectation');
  t.same([...tableNames].filter((n) => !mapNames.has(n)), [], 'every expectation is a keymap name');
});

t.test('every printable ASCII character is a key name', async (t) => {
  const tableNames = new Set(KEY_PRESS_REPORTS.map(([n]) => n));
  for (let c = 0x20; c <= 0x7e; c++) t.ok(tableNames.has(String.fromCharCode(c)), `0x${c.toString(16)}`);
});

t.test('the os-autoinst VNC vocabulary and gadget-control names are all accepted', async (t) => {
  const vnc = 'esc down right up left equal spc minus shift ctrl caps meta alt altgr ret tab backspace end delete home insert pgup pgdn sysrq super';
  const qubes = 'space pageup pagedown printscreen scroll pause rctrl rshift ralt rmeta';
  for (const name of `${vnc} ${qubes}`.split(' ')) t.notOk(parseCombo(name) instanceof AgentError, name);
  for (let n = 1; n <= 24; n++) t.notOk(parseCombo(`f${n}`) instanceof AgentError, `f${n}`);
});

t.test('combos give their exact press report', async (t) => {
  for (const [combo, report] of COMBO_PRESS_REPORTS) t.same(pressReport(chordOrFail(combo)), report, combo);
});

t.test('invalid combos are refused with the right code', async (t) => {
  for (const [combo, code] of INVALID_COMBOS) {
    const result = parseCombo(combo);
    t.ok(result instanceof AgentError, `${JSON.stringify(combo)} refused`);
    if (result instanceof AgentError) t.equal(result.code, code, `${JSON.stringify(combo)} code`);
  }
});

t.test('words are case-insensitive, single letters are not', async (t) => {
  for (const [name, report] of KEY_PRESS_REPORTS) {
    if (name.length < 2) continue;
    t.same(pressReport(chordOrFail(name.toUpperCase())), report, name.toUpperCase());
  }
  t.not(pressReport(chordOrFail('a'))[0], pressReport(chordOrFail('A'))[0], 'a and A differ');
});

t.test('modifiers keep the order they were named in', async (t) => {
  t.same(chordOrFail('ctrl-alt-delete').modifierOrder, [0x01, 0x04]);
  t.same(chordOrFail('alt-ctrl-delete').modifierOrder, [0x04, 0x01]);
  t.same(chordOrFail('ctrl-A').modifierOrder, [0x01, 0x02], 'the Shift of A comes after ctrl');
  t.same(chordOrFail('shift-A').modifierOrder, [0x02], 'Shift named twice is held once');
  t.same(chordOrFail('a-a').keys, [0x04], 'a key named twice is held once');
});

t.test('splitCombo: a name starting with - is the minus key', async (t) => {
  t.same(splitCombo('-'), ['-']);
  t.same(splitCombo('ctrl--'), ['ctrl', '-']);
  t.same(splitCombo('ctrl-alt-delete'), ['ctrl', 'alt', 'delete']);
  t.same(splitCombo('--a'), ['-', 'a'], 'minus, then a');
  t.same(splitCombo('a--b'), undefined);
  t.same(splitCombo('ctrl-'), undefined);
  t.same(splitCombo(''), undefined);
});

t.test('charToChord types printable characters and nothing else', async (t) => {
  t.same(charToChord('~'), { modifiers: 0x02, keys: [0x35], modifierOrder: [0x02] });
  t.same(charToChord(' '), { modifiers: 0, keys: [0x2c], modifierOrder: [] });
  t.equal(charToChord('\u00e9'), undefined);
  t.equal(charToChord('\x07'), undefined);
});
