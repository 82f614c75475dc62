#!/bin/bash
# The checks of deb-check.sh, run as root in a throwaway copy of the machine (see there).
# Usage: deb-check-inner.sh DEB
set -uo pipefail
deb=$1
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
checks=0
failed=0
ok() { checks=$((checks + 1)); printf '  ok   %s\n' "$*"; }
bad() { checks=$((checks + 1)); failed=$((failed + 1)); printf '  FAIL %s\n' "$*"; }
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    local out
    if out=$("$@" 2>&1); then
        ok "$what"
    else
        bad "$what"
        printf '%s\n' "$out" | tail -5 | sed 's/^/         /'
    fi
}
installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
mode_is() { [ "$(stat -c '%a %U:%G' "$1")" = "$2 root:root" ]; }
resolves_to() { [ "$(readlink -f "$1")" = "$2" ]; }
# exit code of a command, without set -e getting in the way
code_of() { "$@" >/dev/null 2>&1; echo $?; }

had_heartbeat=0
installed heartbeat && had_heartbeat=1
had_keepalived=0
installed keepalived && had_keepalived=1
echo "before: Debian heartbeat installed=$had_heartbeat, keepalived installed=$had_keepalived"

echo "--- dpkg -i"
if ! dpkg -i "$deb"; then
    bad "dpkg -i $deb"
    echo "deb-check: $checks checks, $failed failed"
    exit 1
fi
check "heartbeat-rs is installed" installed heartbeat-rs
if [ $had_heartbeat = 1 ]; then
    check "Debian's heartbeat was removed in its favour (Conflicts + Replaces)" \
        sh -c '! dpkg-query -W -f="\${Status}" heartbeat | grep -q "ok installed"'
fi
if [ $had_keepalived = 1 ]; then
    check "keepalived is still installed beside it" installed keepalived
    check "/usr/sbin/keepalived still belongs to keepalived" \
        sh -c 'dpkg -S /usr/sbin/keepalived | grep -q "^keepalived:"'
fi

echo "--- files and modes"
for f in /usr/sbin/heartbeat /usr/sbin/hbctl /etc/init.d/heartbeat; do
    check "$f is 755 root:root" mode_is "$f" 755
done
for f in /lib/systemd/system/heartbeat.service /etc/logrotate.d/heartbeat \
    /etc/ha.d/ha.cf.example /etc/ha.d/haresources.example \
    /usr/share/man/man8/heartbeat.8.gz /usr/share/man/man1/hbctl.1.gz \
    /usr/share/man/man1/cl_status.1.gz /usr/share/man/man1/hb_standby.1.gz \
    /usr/share/man/man1/hb_takeover.1.gz \
    /usr/share/bash-completion/completions/hbctl /usr/share/zsh/vendor-completions/_hbctl \
    /usr/share/bash-completion/completions/heartbeat /usr/share/zsh/vendor-completions/_heartbeat \
    /usr/share/doc/heartbeat-rs/copyright; do
    check "$f is 644 root:root" mode_is "$f" 644
done
check "/etc/ha.d/authkeys.example is 600 root:root" mode_is /etc/ha.d/authkeys.example 600
check "/var/lib/heartbeat exists" test -d /var/lib/heartbeat
check "cl_status is /usr/bin/cl_status -> hbctl" resolves_to /usr/bin/cl_status /usr/sbin/hbctl
check "hb_standby is /usr/share/heartbeat/hb_standby -> hbctl" \
    resolves_to /usr/share/heartbeat/hb_standby /usr/sbin/hbctl
check "hb_takeover is /usr/share/heartbeat/hb_takeover -> hbctl" \
    resolves_to /usr/share/heartbeat/hb_takeover /usr/sbin/hbctl
check "/usr/libexec/heartbeat/heartbeat -> /usr/sbin/heartbeat" \
    resolves_to /usr/libexec/heartbeat/heartbeat /usr/sbin/heartbeat
check "the keepalived mode is /usr/lib/heartbeat-rs/keepalived -> /usr/sbin/heartbeat" \
    resolves_to /usr/lib/heartbeat-rs/keepalived /usr/sbin/heartbeat
check "the package ships no /usr/sbin/keepalived (Debian's keepalived owns it)" \
    sh -c '! dpkg -L heartbeat-rs | grep -qx /usr/sbin/keepalived'
check "/lib/systemd/system/heartbeat-keepalived.service is 644 root:root" \
    mode_is /lib/systemd/system/heartbeat-keepalived.service 644
check "heartbeat-keepalived.service is not enabled by the package" \
    test ! -e /etc/systemd/system/multi-user.target.wants/heartbeat-keepalived.service
for live in ha.cf haresources authkeys; do
    check "no live /etc/ha.d/$live in the package" sh -c "! dpkg -L heartbeat-rs | grep -qx /etc/ha.d/$live"
done
check "heartbeat(8) is a manual page" sh -c 'zcat /usr/share/man/man8/heartbeat.8.gz | grep -q "^.TH heartbeat 8"'
check "the bash completions parse" \
    bash -n /usr/share/bash-completion/completions/hbctl /usr/share/bash-completion/completions/heartbeat
check "logrotate accepts /etc/logrotate.d/heartbeat" logrotate -d /etc/logrotate.d/heartbeat
check "the init script is registered (rc2.d)" sh -c 'ls /etc/rc2.d/ | grep -q "^S..heartbeat$"'
check "heartbeat.service is enabled" test -L /etc/systemd/system/multi-user.target.wants/heartbeat.service

echo "--- commands"
version=$(heartbeat -V 2>&1)
echo "  heartbeat -V: $version"
pkg_version=$(dpkg-query -W -f='${Version}' heartbeat-rs)
check "heartbeat -V prints the package's version (${pkg_version%-*})" \
    sh -c "heartbeat -V | grep -q '^${pkg_version%-*} (heartbeat-rs'"
check "cl_status on PATH is /usr/bin/cl_status" sh -c '[ "$(command -v cl_status)" = /usr/bin/cl_status ]'
out=$(cl_status hbstatus 2>&1)
check "cl_status hbstatus without a daemon: heartbeat's sentence and exit 1" \
    sh -c "[ '$out' = 'Heartbeat is stopped on this machine.' ] && [ $(code_of cl_status hbstatus) = 1 ]"
check "hb_standby without a daemon exits 1" sh -c "[ $(code_of /usr/share/heartbeat/hb_standby) = 1 ]"
check "hbctl check-config refuses an empty /etc/ha.d" sh -c '! hbctl check-config /etc/ha.d'
check "the init script does not start without ha.cf (exit 0, nothing running)" \
    sh -c '/etc/init.d/heartbeat start && ! heartbeat -s'
check "service heartbeat status: stopped (LSB 3)" sh -c "[ $(code_of service heartbeat status) = 3 ]"
analyze=$(systemd-analyze verify /lib/systemd/system/heartbeat.service 2>&1)
printf '%s\n' "${analyze:-  systemd-analyze verify: no findings}" | sed 's/^/  /'
check "systemd-analyze verify heartbeat.service" \
    systemd-analyze verify /lib/systemd/system/heartbeat.service

check "the keepalived name answers keepalived's -v" \
    sh -c '/usr/lib/heartbeat-rs/keepalived -v | grep -q "heartbeat-rs"'
check "keepalived --signum=RELOAD prints 1, as keepalived 2.2.7 does" \
    sh -c '[ "$(/usr/lib/heartbeat-rs/keepalived --signum=RELOAD)" = 1 ]'
printf 'vrrp_instance VI_1 {\n interface lo\n virtual_router_id 51\n virtual_ipaddress {\n  10.99.250.60/24\n }\n}\n' \
    > /tmp/deb-check-keepalived.conf
check "keepalived -t accepts a valid keepalived.conf (exit 0)" \
    /usr/lib/heartbeat-rs/keepalived -t -f /tmp/deb-check-keepalived.conf
check "keepalived -t refuses an unknown keyword (exit 5, as keepalived 2.2.7)" \
    sh -c "sed 's/virtual_router_id 51/virtual_router_id 51\n bogus 1/' /tmp/deb-check-keepalived.conf > /tmp/deb-check-bad.conf;
           /usr/lib/heartbeat-rs/keepalived -t -f /tmp/deb-check-bad.conf 2>/dev/null; [ \$? = 5 ]"
analyze=$(systemd-analyze verify /lib/systemd/system/heartbeat-keepalived.service 2>&1)
printf '%s\n' "${analyze:-  systemd-analyze verify: no findings}" | sed 's/^/  /'
check "systemd-analyze verify heartbeat-keepalived.service" \
    systemd-analyze verify /lib/systemd/system/heartbeat-keepalived.service
check "heartbeat-keepalived.service starts what keepalived.service starts, by our name" \
    sh -c 'grep -q "^ExecStart=/usr/lib/heartbeat-rs/keepalived --dont-fork \$DAEMON_ARGS$" /lib/systemd/system/heartbeat-keepalived.service'
# The unit as systemd runs it: Type=notify, so the daemon must say READY=1 on $NOTIFY_SOCKET.
# Started in its own network namespace, as --dont-fork with the unit's environment file.
check "the keepalived mode started as the unit does says READY=1 and stops on SIGTERM" \
    unshare --net sh -c '
        ip link set lo up || exit 10
        sock=/tmp/deb-check-notify.sock; rm -f $sock
        python3 -c "
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(\"$sock\"); s.settimeout(20)
print(s.recv(4096).decode())" > /tmp/deb-check-notify.out &
        listener=$!; sleep 0.5
        NOTIFY_SOCKET=$sock HB_VRRP_API_SOCKET=/tmp/deb-check-vrrp.sock \
            /usr/lib/heartbeat-rs/keepalived --dont-fork -G -f /tmp/deb-check-keepalived.conf \
            -p /tmp/deb-check-k.pid -r /tmp/deb-check-v.pid & daemon=$!
        wait $listener; grep -q READY=1 /tmp/deb-check-notify.out || { cat /tmp/deb-check-notify.out; kill $daemon; exit 11; }
        [ "$(cat /tmp/deb-check-k.pid)" = $daemon ] || { kill $daemon; exit 12; }
        kill -TERM $daemon; wait $daemon'
rm -f /tmp/deb-check-keepalived.conf /tmp/deb-check-bad.conf /tmp/deb-check-notify.* /tmp/deb-check-vrrp.sock

echo "--- a live daemon through the init script, stopped by dpkg -r"
# A one-node cluster on loopback, in a network namespace of its own (no packet leaves it).
me=$(uname -n)
printf 'keepalive 200ms\ndeadtime 2\ninitdead 4\nucast lo 127.0.0.2\nnode %s\n' "$me" > /etc/ha.d/ha.cf
printf '# no resources\n' > /etc/ha.d/haresources
printf 'auth 1\n1 sha1 deb-check-secret\n' > /etc/ha.d/authkeys
chmod 600 /etc/ha.d/authkeys
check "hbctl check-config accepts the one-node configuration" hbctl check-config --dir /etc/ha.d
check "/etc/init.d/heartbeat start (in its own network namespace)" \
    unshare --net sh -c 'ip link set lo up && /etc/init.d/heartbeat start'
pid=$(cat /run/heartbeat.pid 2>/dev/null || true)
check "the daemon runs (pid ${pid:-none})" sh -c "[ -n '$pid' ] && kill -0 '$pid'"
check "service heartbeat status: running (LSB 0)" sh -c "[ $(code_of service heartbeat status) = 0 ]"
check "cl_status hbstatus answers from the packaged daemon" \
    sh -c 'cl_status hbstatus | grep -q "Heartbeat is running on this machine."'
check "service heartbeat reload keeps the same process" \
    sh -c "service heartbeat reload && sleep 1 && [ \"\$(cat /run/heartbeat.pid)\" = '$pid' ] && kill -0 '$pid'"
# heartbeat.service's ExecStopPost, run as systemd runs it after a clean and an unclean end,
# in a network namespace holding the group's address on a veth interface.
stoppost=$(sed -n 's/^ExecStopPost=-//p' /lib/systemd/system/heartbeat.service)
printf '%s IPaddr::10.99.250.50/24/dum0\n' "$me" > /etc/ha.d/haresources
check "ExecStopPost keeps the address after a clean stop, removes it after an unclean one" \
    unshare --net sh -c '
        ip link add dum0 type veth peer name dum1 && ip link set dum1 up && ip addr add 10.99.250.1/24 dev dum0 &&
        ip addr add 10.99.250.50/24 dev dum0 && ip link set dum0 up || exit 10
        SERVICE_RESULT=success; export SERVICE_RESULT; eval "$0"
        ip -o addr show dev dum0 | grep -q " 10.99.250.50/" || { echo "removed after success"; exit 11; }
        SERVICE_RESULT=signal; eval "$0"
        ! ip -o addr show dev dum0 | grep -q " 10.99.250.50/" || { echo "kept after signal"; exit 12; }' \
    "$stoppost"
printf '# no resources\n' > /etc/ha.d/haresources
# policy-rc.d is a CI container's "touch no service" switch (this copy's only); the package's
# own behaviour on upgrade (keep running) and removal (stop) is what is checked here.
[ -e /usr/sbin/policy-rc.d ] && mv /usr/sbin/policy-rc.d /usr/sbin/policy-rc.d.deb-check
check "reinstalling the package (the upgrade path) leaves the daemon running" \
    sh -c "dpkg -i '$deb' >/dev/null && kill -0 '$pid'"
check "dpkg -r heartbeat-rs stops the daemon (prerm: invoke-rc.d heartbeat stop)" \
    sh -c "[ -n '$pid' ] && dpkg -r heartbeat-rs && ! kill -0 '$pid' 2>/dev/null"
[ -e /usr/sbin/policy-rc.d.deb-check ] && mv /usr/sbin/policy-rc.d.deb-check /usr/sbin/policy-rc.d
rm -f /etc/ha.d/ha.cf /etc/ha.d/haresources /etc/ha.d/authkeys

echo "--- dpkg --purge"
files=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\.||')
check "dpkg --purge heartbeat-rs" dpkg --purge heartbeat-rs
check "heartbeat-rs is gone from dpkg's database" sh -c '! dpkg-query -W heartbeat-rs'
left=0
nfiles=0
for f in $files; do
    nfiles=$((nfiles + 1))
    if [ -e "$f" ] || [ -L "$f" ]; then
        echo "  left behind: $f"
        left=$((left + 1))
    fi
done
check "none of the package's $nfiles files is left" sh -c "[ $left = 0 ] && [ $nfiles -gt 20 ]"
check "no /var/lib/heartbeat" test ! -e /var/lib/heartbeat
check "no rc?.d links" sh -c '! ls /etc/rc?.d/ | grep -q heartbeat'
check "no enable symlink" test ! -e /etc/systemd/system/multi-user.target.wants/heartbeat.service

if [ $had_heartbeat = 1 ]; then
    echo "--- Debian's heartbeat again (the interop tests need it)"
    if apt-get install -y -qq --no-install-recommends heartbeat >/dev/null; then
        ok "apt-get install heartbeat after the purge"
        check "Debian's /usr/libexec/heartbeat/heartbeat is back (a binary, not our link)" \
            sh -c 'test -f /usr/libexec/heartbeat/heartbeat && ! test -L /usr/libexec/heartbeat/heartbeat'
        check "Debian's cl_status is back" test -x /usr/bin/cl_status
    else
        bad "apt-get install heartbeat after the purge"
    fi
fi

echo "deb-check: $checks checks, $failed failed"
[ "$checks" -gt 0 ] && [ "$failed" = 0 ]
