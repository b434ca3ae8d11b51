// Package interop holds only tests: they drive the real gftp binary, as a
// cron job would, against real FTP servers (vsftpd, pure-ftpd, proftpd,
// pyftpdlib, and pyftpdlib dressed as IIS: MS-DOS listings, no MLSD), each
// in passive and active mode over IPv4 (127.0.0.1) and IPv6 (::1), and
// check the exit status, the output and the files on the server's disk.
//
// The servers come from testdata/servers/fetch.sh at the top of the module,
// which unpacks the Debian packages into $GFTP_SERVERS (by default
// ~/.cache/gftp/servers) and installs pyftpdlib. The tests need root, to
// start the servers and to create the system user vsftpd logs in. Without
// root or the servers they are skipped, with one line saying why, except
// under CI=true, where they fail instead: CI must run them.
package interop
