import t from 'tap';
import { applyAll } from '../../../agent/gadget/apply';
import { planSetup } from '../../../agent/gadget/plan';
import { silentLogger } from '../../../agent/log';
import { simGadget } from './fixtures/sim';

// Apply the first k ops of the setup plan for every k (and the full plan bound), then stop():
// usb_gadget/ must be empty every time.
t.test('teardown from every half-built stage', async (t) => {
  const probe = simGadget({}, { luns: 3 });
  const ops = planSetup(probe.gadget.getSpec());
  t.ok(ops.length > 30, `the plan has ${ops.length} ops`);
  for (let k = 0; k <= ops.length + 1; k++) {
    const { kernel, gadget } = simGadget({}, { luns: 3 });
    await applyAll(kernel.configfs, ops.slice(0, Math.min(k, ops.length)), silentLogger);
    if (k === ops.length + 1) await kernel.configfs.write('usb_gadget/pikvm-agent/UDC', 'dummy_udc.0');
    const result = await gadget.stop();
    t.same(
      { clean: result.clean, leftovers: result.leftovers, tree: (await kernel.configfs.list('usb_gadget')).map((e) => e.name) },
      { clean: true, leftovers: [], tree: [] },
      `after ${k} ops${k === ops.length + 1 ? ' + bind' : ''}`,
    );
  }
});

t.test('start over every half-built stage succeeds (stale removal)', async (t) => {
  const probe = simGadget();
  const ops = planSetup(probe.gadget.getSpec());
  for (let k = 1; k <= ops.length; k++) {
    const { kernel, gadget } = simGadget();
    await applyAll(kernel.configfs, ops.slice(0, k), silentLogger);
    await gadget.start();
    t.equal(kernel.boundGadget('dummy_udc.0'), 'pikvm-agent', `after ${k} ops`);
  }
});
