/**
 * The WebAssembly kernel the agent runs is the one its C source builds to: Debian's clang/lld
 * (installed by .ci/install-deps) rebuild agent/video/convert-yuv422.c and the bytes must equal
 * the module embedded in agent/video/convert-yuv422-wasm.ts.
 */
import t from 'tap';
import { buildYuv422Wasm, embeddedYuv422Wasm } from '../../../bench/build-yuv422-wasm';

t.test('the embedded module is a fresh build of convert-yuv422.c', async (t) => {
  const { wasm, clang } = buildYuv422Wasm();
  t.ok(wasm.length > 0, `built with ${clang}`);
  t.ok(embeddedYuv422Wasm().equals(wasm), 'identical bytes (rebuild: node dist/bench/build-yuv422-wasm.js)');
});
