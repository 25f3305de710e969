# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The instances a role acts on when it is given no list: the play's hosts, as the inventory plugin makes them."""


def host_entries(hostvars, play_hosts):
    """(cloud, region, instance_id, where) for each play host that has an `instance_id` hostvar, in the play's order.

    `cloud` and `region` are the hosts' own (the inventory plugin sets them); a host without `instance_id` is not an
    instance (localhost, a bastion) and is left out.
    """
    entries = []
    for host in play_hosts or []:
        values = hostvars[host]
        if "instance_id" not in values:
            continue
        entries.append((values.get("cloud"), values.get("region") or "", values["instance_id"], "host %s" % host))
    return entries
