#!/bin/sh
# Print an Ansible INI inventory for bench-fleet.sh's loopback fleet.
#	inventory.sh HOSTS_FILE KEY KNOWN_HOSTS PORT USER > inventory
# HOSTS_FILE: "NAME ADDRESS ROOT" lines (ROOT: where this tool deploys).
set -eu
[ $# = 5 ] || { echo "usage: inventory.sh HOSTS_FILE KEY KNOWN_HOSTS PORT USER" >&2; exit 2; }
hosts=$1; key=$2; kh=$3; port=$4; user=$5
echo "[fleet]"
while read -r name addr root; do
	case $name in ''|'#'*) continue ;; esac
	echo "$name ansible_host=$addr root=$root"
done < "$hosts"
cat <<EOT

[fleet:vars]
ansible_connection=ssh
ansible_port=$port
ansible_user=$user
ansible_ssh_private_key_file=$key
ansible_ssh_common_args='-o UserKnownHostsFile=$kh -o StrictHostKeyChecking=yes'
ansible_python_interpreter=/usr/bin/python3
EOT
