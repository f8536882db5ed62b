import t from 'tap';
import { AgentConfig, loadConfig } from '../../../agent/config';
import { fakeFiles } from './fixtures/fake-files';

const none = () => ({ explicit: false, env: {}, overrides: [], ...fakeFiles({}) });

// The defaults as the product specifies them (not derived from the schema table).
const SPECIFIED: AgentConfig = {
  log: { level: 'info' },
  run_dir: '/run/pikvm-agent',
  control: {
    socket: '/run/pikvm-agent/control.sock',
    group: '',
    mode: 0o660,
    max_line: 4096,
    max_connections: 64,
    line_timeout_s: 60,
    idle_timeout_s: 0,
  },
  gadget: {
    name: 'pikvm-agent',
    udc: '',
    vendor_id: 0x1d6b,
    product_id: 0x0104,
    bcd_device: 0x0100,
    bcd_usb: 0x0200,
    manufacturer: 'PiKVM',
    product: 'pikvm-agent composite device',
    serial: 'pikvm-agent',
    max_power: 250,
  },
  hid: { screen_width: 1024, screen_height: 768 },
  storage: {
    luns: 1,
    image_dirs: ['/var/lib/pikvm-agent/images'],
    inquiry_vendor: 'PiKVM',
    inquiry_product: 'pikvm-agent MSD',
    inquiry_revision: '0.1',
  },
  http: {
    listen: '127.0.0.1:8780',
    unix_socket: '/run/pikvm-agent/http.sock',
    max_streams: 8,
    headers_timeout_s: 10,
    request_timeout_s: 30,
    keep_alive_timeout_s: 5,
    token: '',
    token_file: '',
    public: false,
  },
  video: {
    source: 'v4l2',
    device: '/dev/kvmd-video',
    edid: '/etc/pikvm-agent/edid/1024x768.hex',
    default_fps: 2,
    max_fps: 30,
    swap_rb: false,
    ustreamer_socket: '/run/kvmd/ustreamer.sock',
  },
  handoff: { enabled: true, idle_release_s: 600, cooperative_video: false },
  kickstart: {
    dir: '/etc/pikvm-agent/kickstart',
    default: 'ks',
    vars: {},
    query_vars: [],
    max_template_bytes: 262144,
    max_uploads: 64,
    max_upload_bytes: 4194304,
  },
};

t.test('with no file, environment or flag every key has its specified default', async (t) => {
  const files = fakeFiles({});
  const config = await loadConfig({ explicit: false, env: {}, overrides: [], ...files });
  t.strictSame(config, SPECIFIED);
  t.strictSame(files.reads, ['/etc/pikvm-agent/agent.yaml'], 'looks for the default main file');
});

t.test('the sockets follow run_dir unless set explicitly', async (t) => {
  const moved = await loadConfig({ ...none(), overrides: ['run_dir=/tmp/agent'] });
  t.equal(moved.control.socket, '/tmp/agent/control.sock');
  t.equal(moved.http.unix_socket, '/tmp/agent/http.sock');

  const pinned = await loadConfig({ ...none(), overrides: ['run_dir=/tmp/agent', 'control.socket=/srv/c.sock'] });
  t.equal(pinned.control.socket, '/srv/c.sock');
  t.equal(pinned.http.unix_socket, '/tmp/agent/http.sock');
});

t.test('the result is immutable and loads do not share state', async (t) => {
  const first = await loadConfig({ ...none(), overrides: ['kickstart.vars.arch=x86_64'] });
  t.ok(Object.isFrozen(first.kickstart.vars), 'maps are frozen');
  t.ok(Object.isFrozen(first.storage.image_dirs), 'lists are frozen');
  t.throws(() => {
    (first.hid as { screen_width: number }).screen_width = 1;
  });
  const second = await loadConfig(none());
  t.strictSame(second.kickstart.vars, {}, 'a map entry from one load does not leak into the default');
});
