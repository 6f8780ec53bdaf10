// Package network connects containers to networks through CNI plugins, the
// way podman did before netavark: each network is a CNI configuration list
// (bridge with host-local IPAM, portmap, firewall), run with libcni against
// a network namespace the engine's container later joins.
//
// On disk, under the engine's store:
//
//	<root>/networks/NAME.conflist       one network (a CNI conflist; files
//	                                    dropped there by hand are networks too)
//	<root>/networks/lock                held while networks or attachments change
//	<runroot>/networks/attachments/ID   what Setup did for container ID, so that
//	                                    Teardown works from it alone, after a crash
//	<runroot>/networks/ipam/            host-local's allocations (not /var/lib/cni)
//	<runroot>/networks/cache/           libcni's cache of results
//	<runroot>/netns/ID                  namespaces made by NewNetNS
//
// Allocations live under the run root because they mean nothing after a
// reboot, when the namespaces, bridges and firewall rules are gone too.
//
// The engine's side of a container's life:
//
//	ns, _ := network.NewNetNS(runroot, id)        // before the runtime's create
//	res, _ := m.Setup(ctx, id, ns, req)           // config.json joins ns
//	network.WriteHosts(...); network.WriteResolvConf(...)
//	... the container runs ...
//	m.Teardown(ctx, id)                           // when it stops, crash or not
//	network.RemoveNetNS(ns)
//
// and for `berth system check`: m.Check(ctx, inUse) then m.Repair(ctx, found).
package network
