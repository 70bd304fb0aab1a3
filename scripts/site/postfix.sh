#!/usr/bin/env bash
# A private Postfix 3.7 for tests: configuration in DIR/postfix/etc (postfix -c),
# one SMTP submission listener on 127.0.0.1 on a free port with SASL (Cyrus,
# sasldb via auxprop) and senders bound to their login (smtpd_sender_login_maps +
# reject_sender_login_mismatch). Mail for alice, bob, carol and postmaster at
# "local.test" is delivered into maildirs DIR/postfix/mailboxes/<name>/; nothing is ever
# relayed (every other transport is error:).
#   postfix.sh start DIR   writes DIR/postfix/provider.json:
#     {"mail-account": {"implementation": "postfix", "settings": {host, port, configDir,
#       saslDb, saslDbGroup, senderLoginMap, postmapCommand, postfixCommand, ...}}}
#   postfix.sh stop DIR    stops the master by PID (safe to call twice)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cmd=${1:?usage: postfix.sh start|stop DIR}
dir=${2:?usage: postfix.sh start|stop DIR}
S="$dir/postfix"

case "$cmd" in
  start)
    # Whatever fails below, what was started is stopped (Site stops only services that started).
    trap '"$0" stop "$dir"' EXIT
    [ -x /usr/lib/postfix/sbin/master ] || { echo "postfix.sh: postfix is not installed" >&2; exit 1; }
    command -v saslpasswd2 >/dev/null || { echo "postfix.sh: saslpasswd2 is not installed (sasl2-bin)" >&2; exit 1; }
    # Postfix's daemons run as the postfix user: they must reach DIR/postfix.
    runuser -u postfix -- test -x "$dir" || chmod a+x "$dir"
    mkdir -p "$S"/{etc/sasl,queue,data,maps,sasl,mailboxes,log}
    port=$(free_port)
    uid=$(id -u postfix)
    gid=$(id -g postfix)

    # master.cf: Debian's, with the public smtp listener moved to our port and no chroot
    # (a chroot would need copies of /etc files under the queue directory).
    awk -v listen="127.0.0.1:$port" '
      /^#/ || /^[ \t]/ || NF == 0 { print; next }
      $1 == "smtp" && $2 == "inet" { $1 = listen }
      NF >= 8 { $5 = "n" }
      { print }' /etc/postfix/master.cf >"$S/etc/master.cf"

    cat >"$S/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $S/queue
data_directory = $S/data
mail_owner = postfix
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mail.site.test
mydomain = site.test
myorigin = \$myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains =
# Never relay, never deliver anywhere but into the local.test maildirs.
default_transport = error:this test site never relays
relay_transport = error:this test site never relays
local_transport = error:this test site has no local users
maillog_file = $S/log/maillog
maillog_file_prefixes = $S
biff = no
smtputf8_enable = no
smtpd_tls_security_level = none
smtp_tls_security_level = none

virtual_mailbox_domains = local.test
virtual_mailbox_base = $S/mailboxes
virtual_mailbox_maps = texthash:$S/etc/virtual_mailboxes
virtual_uid_maps = static:$uid
virtual_gid_maps = static:$gid

# Submission: SASL (Cyrus, sasldb), senders bound to their login.
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $S/etc/sasl
smtpd_sasl_security_options = noanonymous
smtpd_sasl_local_domain =
smtpd_sender_login_maps = hash:$S/maps/sender_login
smtpd_sender_restrictions = reject_sender_login_mismatch
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
EOF
    # A few local.test recipients, each with the maildir <local part>/ (the slash means maildir).
    for u in alice bob carol postmaster; do echo "$u@local.test $u/"; done >"$S/etc/virtual_mailboxes"
    cat >"$S/etc/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: $S/sasl/sasldb2
EOF
    # Postfix waits (up to seconds) for a main.cf modified "just now" to settle: backdate ours.
    touch -d '-1 minute' "$S/etc/main.cf" "$S/etc/master.cf"
    : >"$S/maps/sender_login"
    postmap -c "$S/etc" "hash:$S/maps/sender_login"
    chown -R postfix: "$S/data" "$S/mailboxes"
    chgrp postfix "$S/sasl"
    chmod 750 "$S/sasl"

    # check also creates the queue directories with their owners.
    postfix -c "$S/etc" check >"$S/log/check.log" 2>&1 || fail_with_log "postfix.sh: postfix check failed" "$S/log/check.log"
    # The master itself in the foreground of a background process, so that the PID we
    # remember is the master's (`postfix start-fg` would wrap it in a shell that does not exec
    # it). `postfix check` above made the queue directories postfix-script would make.
    /usr/lib/postfix/sbin/master -c "$S/etc" -s >"$S/log/master.log" 2>&1 &
    pid=$!
    remember_pid "$S" "$pid"
    ready=0
    for _ in $(seq 1 200); do
      running "$pid" || break
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then ready=1; break; fi
      sleep 0.05
    done
    if [ "$ready" != 1 ]; then
      cat "$S/log/maillog" >>"$S/log/master.log" 2>/dev/null || true
      fail_with_log "postfix.sh: the master did not start listening on 127.0.0.1:$port" "$S/log/master.log"
    fi
    cat >"$S/provider.json" <<EOF
{"mail-account": {"implementation": "postfix", "settings": {
  "host": "127.0.0.1", "port": $port, "configDir": "$S/etc",
  "saslDb": "$S/sasl/sasldb2", "saslDbGroup": "postfix",
  "senderLoginMap": "$S/maps/sender_login",
  "postmapCommand": "/usr/sbin/postmap", "postfixCommand": "/usr/sbin/postfix",
  "saslpasswdCommand": "/usr/sbin/saslpasswd2", "sasldblistusersCommand": "/usr/sbin/sasldblistusers2",
  "timeoutMs": 10000,
  "localDomain": "local.test", "mailboxes": "$S/mailboxes", "maillog": "$S/log/maillog"}}}
EOF
    trap - EXIT
    ;;
  stop)
    stop_pids "$S" TERM  # the master stops its children and exits
    ;;
  *) echo "usage: postfix.sh start|stop DIR" >&2; exit 2 ;;
esac
