# Sourced by run and finish (scripts run in the template's directory):
# NAME's ids and home from the passwd database ($uid empty when there is
# no such user, or it is root), the setpriv that switches to them, and
# the tree's cgroup.
# util-linux's setpriv (busybox's cannot switch users, and busybox's shell
# runs its own applet for a bare `setpriv`).
setpriv=/usr/bin/setpriv
[ -x $setpriv ] || setpriv=setpriv
line=$( (getent passwd "$user" || grep "^$user:" /etc/passwd) 2>/dev/null | head -n 1)
IFS=: read -r _ _ uid gid _ home _ <<EOF2
$line
EOF2
case $uid in '' | *[!0-9]* | 0) uid= ;; esac
cg=/sys/fs/cgroup/user@$user
# as_user COMMAND...: COMMAND as NAME, without supplementary groups.
as_user() { $setpriv --reuid="$uid" --regid="$gid" --clear-groups "$@"; }
