#
# SPDX-License-Identifier: MIT
#
"""kbridge on the booted image: the module bound to the board the device tree
describes, the agent started by udev, a line set through several interfaces
and the change seen by every other one, and `kbridge watch` reporting it.

Runs on any machine whose device tree has a "kbridge,board" node: the
emulated qemuarm64 board (conf/dts/qemu-board.dtso) and a Raspberry Pi with
the kbridge overlay alike. What the board has is read from the booted tree,
never assumed. Select with TEST_SUITES = "... kbridge" (kbridge-image does).
"""

import re
import time

from oeqa.runtime.case import OERuntimeTestCase
from oeqa.core.decorator.depends import OETestDepends
from oeqa.runtime.decorator.package import OEHasPackage

# The kbridge ABI (userspace/crates/kbridge-abi/src/abi.rs): paths and formats.
DEV_PATH = '/dev/kbridge'
PROC_PATH = '/proc/kbridge'
SYSFS_LINES_DIR = '/sys/class/misc/kbridge/device/lines'
DRIVER_DIR = '/sys/bus/platform/drivers/kbridge'
SERVICE = 'kbridge.service'

# The kbridge command lines these tests use, in one place.
CLI_LIST = 'kbridge list'
CLI_GET = 'kbridge get {name}'
CLI_SET = 'kbridge set {name} {value}'
CLI_WATCH = 'kbridge watch'

PROC_LINE = re.compile(r'^line (\d+) (\S+) (.*)$')


class KbridgeTest(OERuntimeTestCase):

    # --- helpers ------------------------------------------------------------

    def run_ok(self, cmd, timeout=60):
        status, output = self.target.run(cmd, timeout)
        self.assertEqual(status, 0, msg='%s\nexited %d:\n%s' % (cmd, status, output))
        return output

    def board_node(self):
        """/proc/device-tree path of the node compatible with "kbridge,board"."""
        out = self.run_ok("grep -l 'kbridge,board' $(find /proc/device-tree -name compatible)")
        nodes = [l.rsplit('/', 1)[0] for l in out.split() if l.startswith('/proc/device-tree')]
        self.assertEqual(len(nodes), 1, msg='expected one kbridge,board node, got: %s' % out)
        return nodes[0]

    def dt_strings(self, node, prop):
        status, out = self.target.run("tr '\\0' '\\n' < %s/%s" % (node, prop))
        return out.split() if status == 0 else []

    def dt_cells(self, node, prop):
        """A property as big-endian 32-bit cells."""
        status, out = self.target.run("hexdump -v -e '4/1 \"%%02x\" \"\\n\"' %s/%s" % (node, prop))
        return [int(w, 16) for w in out.split()] if status == 0 else []

    def board_lines(self):
        """(outputs, inputs, leds): line names as the device tree declares them."""
        node = self.board_node()
        return (self.dt_strings(node, 'output-names'), self.dt_strings(node, 'input-names'),
                self.dt_strings(node, 'led-names'))

    def proc_lines(self):
        """{name: {field: value}} from /proc/kbridge."""
        lines = {}
        for l in self.run_ok('cat %s' % PROC_PATH).splitlines():
            m = PROC_LINE.match(l.strip())
            if m:
                lines[m.group(2)] = dict(w.split('=', 1) for w in m.group(3).split() if '=' in w)
        return lines

    def sysfs_value(self, name):
        return self.run_ok('cat %s/%s/value' % (SYSFS_LINES_DIR, name)).strip()

    def assert_value_everywhere(self, name, value, source=None):
        """The value the kernel reports for `name` through procfs, sysfs and the CLI."""
        rec = self.proc_lines().get(name)
        self.assertIsNotNone(rec, msg='%s missing from %s' % (name, PROC_PATH))
        self.assertEqual(rec.get('value'), str(value), msg='procfs: %s' % rec)
        if source:
            self.assertEqual(rec.get('source'), source, msg='procfs: %s' % rec)
        self.assertEqual(self.sysfs_value(name), str(value))
        out = self.run_ok(CLI_GET.format(name=name))
        self.assertIn(str(value), out.split(), msg='%s printed: %s' % (CLI_GET.format(name=name), out))

    def first_output(self):
        outputs, _, _ = self.board_lines()
        if not outputs:
            self.skipTest('the board declares no output line')
        return outputs[0]

    # --- tests --------------------------------------------------------------

    @OETestDepends(['ssh.SSHTest.test_ssh'])
    @OEHasPackage(['kernel-module-kbridge'])
    def test_module_bound_to_board(self):
        self.run_ok("grep -q '^kbridge ' /proc/modules")
        bound = self.run_ok('ls %s' % DRIVER_DIR).split()
        self.assertTrue([e for e in bound if e not in ('bind', 'unbind', 'uevent', 'module')],
                        msg='kbridge is loaded but bound to no device: %s' % bound)
        self.run_ok('test -c %s' % DEV_PATH)

    @OETestDepends(['kbridge.KbridgeTest.test_module_bound_to_board'])
    def test_lines_match_device_tree(self):
        outputs, inputs, leds = self.board_lines()
        want = sorted(outputs + inputs + leds)
        self.assertTrue(want, msg='the kbridge,board node declares no lines')
        self.assertEqual(sorted(self.run_ok('ls %s' % SYSFS_LINES_DIR).split()), want)
        self.assertEqual(sorted(self.proc_lines()), want)
        listed = self.run_ok(CLI_LIST)
        for name in want:
            self.assertRegex(listed, r'\b%s\b' % re.escape(name), msg='%s:\n%s' % (CLI_LIST, listed))

    @OETestDepends(['kbridge.KbridgeTest.test_module_bound_to_board'])
    @OEHasPackage(['kbridge'])
    def test_agent_started_by_udev(self):
        self.run_ok('systemctl is-active %s' % SERVICE)
        self.assertEqual(self.run_ok('stat -c %%G %s' % DEV_PATH).strip(), 'kbridge')

    @OETestDepends(['kbridge.KbridgeTest.test_lines_match_device_tree'])
    def test_set_through_each_interface(self):
        name = self.first_output()
        # sysfs write
        self.run_ok('echo 1 > %s/%s/value' % (SYSFS_LINES_DIR, name))
        self.assert_value_everywhere(name, 1, source='sysfs')
        # chardev text command
        self.run_ok("printf 'set %s 0' > %s" % (name, DEV_PATH))
        self.assert_value_everywhere(name, 0, source='chardev')
        self.run_ok("printf 'toggle %s' > %s" % (name, DEV_PATH))
        self.assert_value_everywhere(name, 1, source='chardev')
        # the kbridge command
        self.run_ok(CLI_SET.format(name=name, value=0))
        self.assert_value_everywhere(name, 0)

    @OETestDepends(['kbridge.KbridgeTest.test_lines_match_device_tree'])
    def test_invalid_writes_change_nothing(self):
        name = self.first_output()
        self.run_ok('echo 0 > %s/%s/value' % (SYSFS_LINES_DIR, name))
        # One bad command in a write rejects the whole write (EINVAL).
        status, _ = self.target.run("printf 'set %s 1\\nset no-such-line 1' > %s" % (name, DEV_PATH))
        self.assertNotEqual(status, 0)
        status, _ = self.target.run('echo 99999 > %s/%s/value' % (SYSFS_LINES_DIR, name))
        self.assertNotEqual(status, 0)
        self.assertEqual(self.sysfs_value(name), '0')

    @OETestDepends(['kbridge.KbridgeTest.test_lines_match_device_tree'])
    def test_watch_reports_changes(self):
        name = self.first_output()
        log, pid = '/tmp/kbridge-watch.log', '/tmp/kbridge-watch.pid'
        # Detached from the SSH session (stdin and stdout redirected), stopped below.
        self.run_ok('rm -f %s; %s < /dev/null > %s 2>&1 & echo $! > %s' % (log, CLI_WATCH, log, pid))
        try:
            time.sleep(1)
            self.run_ok('echo 1 > %s/%s/value' % (SYSFS_LINES_DIR, name))
            self.run_ok("printf 'set %s 0' > %s" % (name, DEV_PATH))
            watched = self.simulated_input_edge()
            time.sleep(1)
        finally:
            self.target.run('kill $(cat %s)' % pid)
        out = self.run_ok('cat %s' % log)
        for line in [name] + watched:
            self.assertRegex(out, r'\b%s\b' % re.escape(line), msg='%s printed:\n%s' % (CLI_WATCH, out))

    def simulated_input_edge(self):
        """On a board with gpio-sim (the emulated one): pull the first input
        the device tree routes to a gpio-sim bank and return its name."""
        node = self.board_node()
        inputs = self.dt_strings(node, 'input-names')
        cells = self.dt_cells(node, 'input-gpios')
        status, out = self.target.run('cat /proc/device-tree/gpio-sim/*/phandle 2>/dev/null | hexdump -v -e \'4/1 "%02x" "\\n"\'')
        sim_phandles = {int(w, 16) for w in out.split()} if status == 0 else set()
        for i, name in enumerate(inputs):
            phandle, offset = cells[3 * i:3 * i + 2] if len(cells) >= 3 * i + 2 else (None, None)
            if phandle not in sim_phandles:
                continue
            pull = "$(ls -d /sys/devices/platform/gpio-sim/gpiochip*/sim_gpio%d | head -1)/pull" % offset
            self.run_ok('echo pull-up > %s; sleep 0.2; echo pull-down > %s' % (pull, pull))
            return [name]
        return []

    @OETestDepends(['kbridge.KbridgeTest.test_agent_started_by_udev'])
    def test_reload_restarts_agent(self):
        # The running agent holds /dev/kbridge open, and an open file pins the
        # module (rmmod says EBUSY). Unbind the board first: /dev/kbridge
        # goes, BindsTo= stops the agent, and then the module can go.
        drv = '/sys/bus/platform/drivers/kbridge'
        dev = self.run_ok('for d in %s/*; do [ -e "$d/of_node" ] && basename "$d"; done; true' % drv).strip()
        self.assertTrue(dev, msg='no device bound to kbridge')
        self.run_ok('echo %s > %s/unbind' % (dev, drv))
        time.sleep(1)
        status, _ = self.target.run('systemctl is-active %s' % SERVICE)
        self.assertNotEqual(status, 0, msg='the agent kept running without /dev/kbridge')
        self.run_ok('rmmod kbridge')
        self.run_ok('modprobe kbridge')
        for _ in range(20):
            if self.target.run('systemctl is-active %s' % SERVICE)[0] == 0:
                break
            time.sleep(0.5)
        self.run_ok('systemctl is-active %s' % SERVICE)
