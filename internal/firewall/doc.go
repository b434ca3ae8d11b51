// Package firewall holds only tests: it rebuilds the network of gftp's
// founding story, a backup server whose firewall admits only TCP ports 20
// and 21, and checks what the gftp binary does there.
//
// The tests make two network namespaces joined by a veth pair (client
// 198.18.0.1, server 198.18.0.2; no other addresses), load the iptables
// rules in testdata/ into each, run vsftpd in the server namespace and the
// gftp binary, fed the classic heredoc script, in the client namespace.
// Each case runs twice: once with the firewalls refusing with a TCP reset
// ("Connection refused", as in the story) and once with them dropping
// packets (silence until a timeout).
//
// They need root, ip(8), iptables and the vsftpd that
// testdata/servers/fetch.sh unpacks. Without them the tests skip, except
// under CI=true, where they fail.
package firewall
