#!/bin/busybox sh
# /init of the elfhash test initramfs (built by tools/kernel/boot.sh; see docs/kernel-tests.md).
# Loads the modules listed in /etc/elfhash-load ("<name> <file>" per line, in load order) with
# busybox insmod and reports on the console, one machine-readable line each:
#   ELFHASH-START <uname -r> uptime=<s> taint=<n>
#   ELFHASH-INSMOD <name> ok
#   ELFHASH-KMSG <name> <warnings/errors the kernel logged while loading it>   (only if any)
#   ELFHASH-INSMOD <name> fail insmod exit <rc>: <insmod's stderr> | kernel: <dmesg of the attempt>
#   ELFHASH-INSMOD <name> fail not attempted: the kernel oopsed earlier
#   ELFHASH-LOADTIME <s> taint=<n>
#   ELFHASH-DONE
# then powers the machine off.
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
export PATH=/bin
# Keep kernel messages off the console from here on: they could split our lines. We read them
# from the ring buffer instead (dmesg -c after each attempt).
dmesg -n 1
dmesg -c >/dev/null

# One line, no control characters, bounded length: the harness parses these lines.
oneline() { tr '\r\n\t' '   ' | tr -d '\000-\037\177' | cut -c1-1000; }

echo "ELFHASH-START $(uname -r) uptime=$(cut -d' ' -f1 /proc/uptime) taint=$(cat /proc/sys/kernel/tainted)"
t0=$(cut -d' ' -f1 /proc/uptime)
dead=
while read -r name file; do
  [ -n "$name" ] || continue
  if [ -n "$dead" ]; then
    echo "ELFHASH-INSMOD $name fail not attempted: the kernel oopsed earlier"
    continue
  fi
  err=$(insmod "$file" 2>&1)
  rc=$?
  # Kernel messages of this attempt, raw ("<level>text"); busybox retries a failed finit_module
  # with init_module, so the same line can come twice. The expected "unsigned module taints the
  # kernel" notice is dropped.
  dmesg -c -r | grep -v 'module verification failed' | sed 's/^<\([0-9]*\)>\[ *[0-9.]*\] /\1 /' \
    | awk '!seen[$0]++' > /tmp/kmsg
  if [ $rc = 0 ]; then
    echo "ELFHASH-INSMOD $name ok"
    # Loaded, but the kernel warned (level <= 4: warning, error, ...): say so on a separate line.
    if grep -q '^[0-4] ' /tmp/kmsg; then
      echo "ELFHASH-KMSG $name $(grep '^[0-4] ' /tmp/kmsg | cut -d' ' -f2- | oneline)"
    fi
  else
    echo "ELFHASH-INSMOD $name fail insmod exit $rc: $(echo "$err" | oneline) | kernel: $(cut -d' ' -f2- /tmp/kmsg | oneline)"
  fi
  # After an oops (taint flag D) later loads would only wait 30 s each for the dead module's
  # init: report them as not attempted instead.
  [ $(( $(cat /proc/sys/kernel/tainted) & 128 )) = 0 ] || dead=1
done < /etc/elfhash-load
t1=$(cut -d' ' -f1 /proc/uptime)
echo "ELFHASH-LOADTIME $(awk "BEGIN{printf \"%.2f\", $t1 - $t0}") taint=$(cat /proc/sys/kernel/tainted)"
echo "ELFHASH-DONE"
sync
# Without ACPI (the tinyconfig test kernel, docs/test-kernel.md) a power-off request becomes a halt
# that never returns; a reboot ends qemu there (-no-reboot) just as well.
[ -d /sys/firmware/acpi ] || reboot -f
poweroff -f
# poweroff needs ACPI; with qemu -no-reboot a reboot ends qemu as well.
reboot -f
