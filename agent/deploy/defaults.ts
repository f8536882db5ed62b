/**
 * Files the installer writes that are not copied from the bundle: the default configuration (only
 * when the user has none), the `pikvm-agent` wrapper and an example kickstart template.
 */
import path from 'node:path';
import { SYSTEM_PATHS } from '../platform/paths';
import { CLI_ENTRY, SYSTEM_LAYOUT } from './layout';

/** The socket nginx's add-on proxies to (nginx/nginx.ctx-server.conf `proxy_pass http://unix:…`). */
export const HTTP_SOCKET = path.join(SYSTEM_PATHS.runDir, 'http.sock');

/**
 * /etc/pikvm-agent/agent.yaml for a fresh install. Only what differs from the built-in defaults on a
 * PiKVM: the sockets belong to group `kvmd`, whose member `kvmd-nginx` must connect to the HTTP
 * socket (kvmd's nginx workers run as kvmd-nginx). Everything else is listed commented out, so
 * `pikvm-agent print-config` stays the reference for the effective values.
 */
export const DEFAULT_CONFIG_YAML = `# pikvm-agent configuration. Written once by \`pikvm-agent install\`; upgrades never touch it.
# Drop-in files in ${SYSTEM_LAYOUT.dropInDir}/*.yaml override it. Show the effective configuration:
#   pikvm-agent print-config
# After a change: systemctl restart pikvm-agent

control:
  # kvmd-nginx (group kvmd) reaches the agent through the sockets; mode 0660 keeps others out.
  group: kvmd

http:
  # Proxied by the nginx add-on in ${SYSTEM_LAYOUT.nginxExtrasDir}/ (/ks.cfg, /ks/, /agent/).
  unix_socket: ${HTTP_SOCKET}
  # The agent's own TCP listener (openQA workers, installers that cannot use kvmd's HTTPS):
  # listen: 0.0.0.0:8780

# video:
#   edid: ${SYSTEM_LAYOUT.edidDir}/1024x768.hex
# storage:
#   image_dirs: [${SYSTEM_LAYOUT.imageDir}]
# kickstart:
#   dir: ${SYSTEM_LAYOUT.kickstartDir}
#   vars:
#     mirror: http://mirror.example.org/fedora/linux/releases/40/Everything/x86_64/os
#   # ?hostname=… may set {{ hostname }}; values match [A-Za-z0-9._:/@+-]+ unless an entry
#   # gives its own: - { name: disk, pattern: "sd[a-z]", max_length: 8 }
#   query_vars: [hostname]
# handoff:
#   idle_release_s: 600
`;

/** /usr/bin/pikvm-agent: the CLI with the same interpreter the unit runs. */
export const WRAPPER_SCRIPT = `#!/bin/sh
# Installed by pikvm-agent install; removed by pikvm-agent uninstall.
exec ${SYSTEM_LAYOUT.node} ${path.join(SYSTEM_LAYOUT.libDir, CLI_ENTRY)} "$@"
`;

/** Name of the example template; `ks.cfg` (the default /ks.cfg) is left for the user to create. */
export const EXAMPLE_KICKSTART = 'example.cfg';

export const EXAMPLE_KICKSTART_TEXT = `# Example kickstart template for pikvm-agent. Copy it to ks.cfg (served at /ks.cfg) or NAME.cfg
# (served at /ks/NAME.cfg). {{ name }} is replaced by a variable from kickstart.vars in agent.yaml,
# from a whitelisted query parameter (kickstart.query_vars), or from the request: client_addr,
# agent_addr, agent_port. An undefined variable fails the fetch instead of rendering empty.
# {{{{ writes a literal "{{".
text
lang en_US.UTF-8
keyboard us
timezone UTC --utc
url --url={{ mirror }}
network --bootproto=dhcp --hostname=openqa-sut
rootpw --lock
zerombr
clearpart --all --initlabel
autopart
reboot

%post
echo "installed from kickstart served by {{ agent_addr }}:{{ agent_port }} to {{ client_addr }}" > /root/kickstart-origin
%end
`;
